/**
 * Graph's maximum subscription lifetime per resource, in minutes (microsoft-graph-docs-contrib,
 * concepts/includes/change-notifications-subscription-lifetime.md). Asking for more fails with 400.
 */
export const OUTLOOK_MAX_MINUTES = 4230;

export interface ResourceLifetime {
  /** What kind of resource Graph sees, for logs and status. */
  kind: string;
  maxMinutes: number;
  /** False when no rule matched and the conservative Outlook maximum is assumed. */
  known: boolean;
}

interface Rule {
  kind: string;
  maxMinutes: number;
  pattern: RegExp;
}

// Ordered: the first match wins, so narrower paths (Shifts under teams) come before wider ones.
const RULES: Rule[] = [
  { kind: 'presence', maxMinutes: 60, pattern: /(^|\/)presences?(\/|\(|$)/ },
  { kind: 'Teams Shifts', maxMinutes: 360, pattern: /^teams\/[^/]+\/schedule(\/|$)/ },
  {
    kind: 'Teams',
    maxMinutes: 4320,
    pattern:
      /^(chats|teams|appcatalogs)(\/|$|\()|^(me|users\/[^/]+)\/(chats|onlinemeetings)(\/|$|\()|^communications\/onlinemeetings|getall(retained)?messages|getallrecordings|getalltranscripts/,
  },
  {
    kind: 'Outlook',
    maxMinutes: OUTLOOK_MAX_MINUTES,
    pattern:
      /^(me|users\/[^/]+)\/(messages|events|contacts|mailfolders|calendars?|contactfolders|calendarview)(\/|$|\()|^groups\/[^/]+\/(conversations|threads|events|calendar)(\/|$)|^communications\/callrecords|^print\/|\/todo\/lists\//,
  },
  { kind: 'driveItem', maxMinutes: 42300, pattern: /(^|\/)drives?(\/|$)|\/drive\/root|^sites\/[^/]+\/lists\// },
  { kind: 'security alert', maxMinutes: 43200, pattern: /^security\/alerts/ },
  { kind: 'Teams approvals', maxMinutes: 43200, pattern: /^solutions\/approval/ },
  { kind: 'directory object', maxMinutes: 41760, pattern: /^(users|groups|directory|serviceprincipals|applications)(\/[^/]+)?$/ },
];

/** Graph's maximum lifetime for a subscription on `resource` (a path such as users/{id}/messages). */
export function resourceLifetime(resource: string): ResourceLifetime {
  const path = resource.trim().replace(/^\/+/, '').replace(/\?.*$/, '').toLowerCase();
  for (const rule of RULES) {
    if (rule.pattern.test(path)) return { kind: rule.kind, maxMinutes: rule.maxMinutes, known: true };
  }
  return { kind: 'unknown', maxMinutes: OUTLOOK_MAX_MINUTES, known: false };
}
