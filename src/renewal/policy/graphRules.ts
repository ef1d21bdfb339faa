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
    new RegExp(String.raw`^${USER}/(messages|events|contacts|mailfolders|calendars?|contactfolders|calendarview)(/|$)|^groups/[^/]+/(events|calendar)(/|$)`),
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

/** What the rules need to know of a subscription. */
export interface LifetimeSubject {
  resource: string;
  includeResourceData?: boolean;
  lifecycleNotificationUrl?: string;
}

/** A maximum Graph stated in a refusal ("can only be N minutes in the future"), kept for its kind. */
export interface LearntMaximum {
  /** The rule's kind, with `+rich` for the resource-data variant. */
  key: string;
  maxMinutes: number;
  /** What the rules said when Graph refused: a learnt value only stands while that is still so. */
  configuredMinutes: number;
  learntAt: Date;
  /** The subscription whose renewal taught it. */
  subscriptionId: string;
}

/** How long Graph lets one subscription live, and why. */
export interface Lifetime {
  kind: string;
  /** `kind`, or `kind+rich` when the resource-data variant applies: what overrides and learnt maxima name. */
  key: string;
  /** The maximum to ask within. */
  maxMinutes: number;
  /** The maximum the documented table and the overrides give, before anything learnt. */
  configuredMinutes: number;
  source: 'documented' | 'override' | 'learnt' | 'assumed';
  /** False when no rule matched and UNKNOWN_MAX_MINUTES is assumed. */
  known: boolean;
  /** Set when the maximum is capped below the kind's for this subscription, saying why. */
  cappedBecause?: string;
}

/** The rules in force: the documented table with the overrides in front, and what Graph taught. */
export class GraphRules {
  private readonly learnt = new Map<string, LearntMaximum>();

  constructor(
    readonly rules: readonly LifetimeRule[],
    learnt: Iterable<LearntMaximum> = [],
  ) {
    for (const maximum of learnt) this.learnt.set(maximum.key, maximum);
  }

  /** The rule for `resource`, or undefined when none matches. */
  ruleFor(resource: string): LifetimeRule | undefined {
    const path = normalizedPath(resource);
    return this.rules.find((candidate) => candidate.matches(path));
  }

  lifetimeOf(subject: LifetimeSubject): Lifetime {
    const found = this.ruleFor(subject.resource);
    // With resource data a kind is a kind of its own, whether the docs give it another number or not:
    // what Graph teaches about one never lowers the other.
    const rich = subject.includeResourceData === true;
    const kind = found?.kind ?? 'unknown';
    const key = rich ? `${kind}+rich` : kind;
    const configuredMinutes = found ? ((rich ? found.richMaxMinutes : undefined) ?? found.maxMinutes) : UNKNOWN_MAX_MINUTES;
    const learnt = this.inForce(key, configuredMinutes);
    let maxMinutes = learnt?.maxMinutes ?? configuredMinutes;
    let source: Lifetime['source'] = learnt ? 'learnt' : found ? found.source : 'assumed';
    let cappedBecause: string | undefined;
    if (found?.lifecycleRequiredBeyondOneHour && !subject.lifecycleNotificationUrl && maxMinutes > WITHOUT_LIFECYCLE_MAX_MINUTES) {
      maxMinutes = WITHOUT_LIFECYCLE_MAX_MINUTES;
      cappedBecause = `it has no lifecycleNotificationUrl, without which Graph allows a ${kind} subscription at most ${WITHOUT_LIFECYCLE_MAX_MINUTES} minutes`;
      source = found.source;
    }
    return { kind, key, maxMinutes, configuredMinutes, source, known: found !== undefined, ...(cappedBecause ? { cappedBecause } : {}) };
  }

  /**
   * Remembers a maximum Graph stated, when it is below what the rules say (a stated maximum equal to
   * ours means only that Graph's clock is behind). Returns it when it changed anything.
   */
  learn(maximum: LearntMaximum): LearntMaximum | undefined {
    if (maximum.maxMinutes >= maximum.configuredMinutes) return undefined;
    const current = this.inForce(maximum.key, maximum.configuredMinutes);
    if (current && current.maxMinutes <= maximum.maxMinutes) return undefined;
    this.learnt.set(maximum.key, maximum);
    return maximum;
  }

  /**
   * Takes what every run and instance learnt, as the table holds it now (the table is the record: a
   * row deleted there is forgotten here too); the newer of two for one kind wins.
   */
  useLearnt(learnt: Iterable<LearntMaximum>): void {
    this.learnt.clear();
    for (const maximum of learnt) {
      const current = this.learnt.get(maximum.key);
      if (!current || maximum.learntAt.getTime() > current.learntAt.getTime()) this.learnt.set(maximum.key, maximum);
    }
  }

  /** The learnt maxima in force (a rule changed since, by an override or a release, sets them aside). */
  learntInForce(): LearntMaximum[] {
    return [...this.learnt.values()].filter((maximum) => this.configuredFor(maximum.key) === maximum.configuredMinutes);
  }

  /** The learnt maxima the current rules set aside (kept on the table for the record). */
  learntSetAside(): LearntMaximum[] {
    const inForce = new Set(this.learntInForce());
    return [...this.learnt.values()].filter((maximum) => !inForce.has(maximum));
  }

  private inForce(key: string, configuredMinutes: number): LearntMaximum | undefined {
    const learnt = this.learnt.get(key);
    return learnt && learnt.configuredMinutes === configuredMinutes && learnt.maxMinutes < configuredMinutes ? learnt : undefined;
  }

  private configuredFor(key: string): number | undefined {
    const [kind, variant] = key.split('+');
    const found = this.rules.find((candidate) => candidate.kind === kind);
    if (!found) return kind === 'unknown' ? UNKNOWN_MAX_MINUTES : undefined;
    return variant === 'rich' ? (found.richMaxMinutes ?? found.maxMinutes) : found.maxMinutes;
  }
}
