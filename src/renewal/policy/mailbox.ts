/**
 * The mailbox a subscription's resource lives in, as Outlook counts its limit of 4 concurrent requests
 * per app per mailbox (https://learn.microsoft.com/graph/throttling-limits, Outlook service limits):
 * `users/{id}` for anything under a user (`users/{id}/...` or `users('{id}')/...`; `me/...` is the
 * signed-in user), `groups/{id}` for a group's conversations, threads and calendar (a group mailbox).
 * Other resources (the directory, Teams, drives, security alerts) are not Outlook's: undefined, no
 * per-mailbox limit.
 */
export function mailboxOf(resource: string): string | undefined {
  const path = resource.trim().replace(/^\//, '').toLowerCase();
  const user = /^users(?:\/([^/(]+)|\('([^']+)'\))\/./.exec(path);
  if (user) return `users/${user[1] ?? user[2]}`;
  if (/^me\/./.test(path)) return 'me';
  const group = /^groups(?:\/([^/(]+)|\('([^']+)'\))\/(conversations|threads|events|calendar)\b/.exec(path);
  if (group) return `groups/${group[1] ?? group[2]}`;
  return undefined;
}
