/**
 * Graph's rules for how long a subscription may live, as data: the documented maximum per kind of
 * resource (learn.microsoft.com/graph/api/resources/subscription, "Subscription lifetime", from
 * microsoft-graph-docs-contrib concepts/includes/change-notifications-subscription-lifetime.md), the
 * variant with resource data, and the 45-minute floor. Microsoft has changed these numbers before
 * (Outlook was 4,230 minutes until it became 10,080; Teams chat was 60): GRAPH_MAX_LIFETIMES
 * overrides or adds entries without a release, and a maximum Graph states in a refusal is learnt.
 */

/** One kind of resource and how long Graph lets a subscription on it live. */
export interface LifetimeRule {
  /** Stable id: overrides and learnt maxima name it (`outlook`, `presence`, or a path pattern). */
  kind: string;
  maxMinutes: number;
  /** With `includeResourceData: true`, when Graph allows less (Outlook: 1,440 minutes). */
  richMaxMinutes?: number;
  /**
   * Graph refuses a creation more than an hour ahead without a lifecycleNotificationUrl ("lifecycleNotificationUrl
   * is a required property for subscription creation on this resource when the expirationDateTime value is set to
   * greater than 1 hour": graph/teams-changenotifications-*, graph/aiinteraction-changenotifications-overview).
   */
  lifecycleRequiredBeyondOneHour?: boolean;
  matches: (path: string) => boolean;
  /** Where the number comes from, for the status and the logs. */
  source: 'documented' | 'override';
}

/** Graph sets an expiration under 45 minutes after the request to 45 minutes (subscription resource page). */
export const MIN_LIFETIME_MINUTES = 45;
/** The most a Teams or Copilot subscription without a lifecycle URL may ask for. */
export const WITHOUT_LIFECYCLE_MAX_MINUTES = 60;
/** What an unknown resource is assumed to allow: the lowest documented maximum of the long-lived kinds. */
export const UNKNOWN_MAX_MINUTES = 4230;

const rule = (kind: string, maxMinutes: number, pattern: RegExp, extra: Partial<LifetimeRule> = {}): LifetimeRule => ({
  kind,
  maxMinutes,
  matches: (path) => pattern.test(path),
  source: 'documented',
  ...extra,
});

const USER = String.raw`(me|users/[^/]+)`;

/**
 * The documented table, in match order: narrower paths (Shifts and transcripts under teams and
 * communications) before wider ones. Paths are lowercased, without a leading slash or query, and with
 * `x('id')` written `x/id`.
 */
export const DOCUMENTED_RULES: readonly LifetimeRule[] = [
  rule('presence', 60, /(^|\/)presences?(\/|$)/),
  rule('teams-shifts', 360, /^teams\/[^/]+\/schedule(\/|$)/),
  // Teams channel, chat, chatMessage, conversationMember, team, callRecording, callTranscript, teamsAppInstallation.
  rule(
    'teams',
    4320,
    new RegExp(
      String.raw`^(chats|teams|appcatalogs)(/|$)|^${USER}/(chats|teamwork)(/|$)|getall(retained)?messages|getallrecordings|getalltranscripts|^communications/onlinemeetings/[^/]+/(transcripts|recordings)`,
    ),
    { lifecycleRequiredBeyondOneHour: true },
  ),
  rule('copilot', 4320, /^copilot\//, { lifecycleRequiredBeyondOneHour: true }),
  // The lifetime table lists onlineMeeting twice (4,320 under Teams, 4,230 alone): the lower is kept.
  rule('online-meeting', 4230, /^communications\/onlinemeetings(\/|$)/),
  rule(
    'outlook',
    10080,
    new RegExp(
      String.raw`^${USER}/(messages|events|contacts|mailfolders|calendars?|contactfolders|calendarview)(/|$)|^groups/[^/]+/(events|calendar)(/|$)`,
    ),
    { richMaxMinutes: 1440 },
  ),
  rule('group-conversation', 4230, /^groups\/[^/]+\/(conversations|threads)(\/|$)/),
  rule('call-record', 4230, /^communications\/callrecords(\/|$)/),
  rule('print', 4230, /^print\//),
  rule('todo', 4230, /\/todo\/lists\//),
  rule('drive-list', 42300, /(^|\/)drives?(\/|$)|\/drive\/root|^sites\/[^/]+\/lists\//),
  rule('entra-health-alert', 42300, /healthmonitoring\/alerts/),
  rule('security-alert', 43200, /^security\/alerts/),
  rule('teams-approvals', 43200, /^solutions\/approval/),
  rule('directory', 41760, /^(users|groups|directory|serviceprincipals|applications|devices|contacts)(\/[^/]+)?$/),
];

/** The path the rules read: lowercased, no leading slash or query, `users('x')` as `users/x`. */
export function normalizedPath(resource: string): string {
  return resource
    .trim()
    .replace(/^\/+/, '')
    .replace(/\?.*$/, '')
    .replace(/\('([^']*)'\)/g, '/$1')
    .replace(/\(([^)]*)\)/g, '/$1')
    .toLowerCase();
}
