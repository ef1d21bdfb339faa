// The rules in force for how long a subscription may live: Graph's documented table
// (documentedLifetimes.ts) with GRAPH_MAX_LIFETIMES in front, and what Graph taught in its refusals.
import {
  type LifetimeRule,
  normalizedPath,
  UNKNOWN_MAX_MINUTES,
  WITHOUT_LIFECYCLE_MAX_MINUTES,
} from './documentedLifetimes';

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
    const configuredMinutes = found
      ? ((rich ? found.richMaxMinutes : undefined) ?? found.maxMinutes)
      : UNKNOWN_MAX_MINUTES;
    const learnt = this.inForce(key, configuredMinutes);
    let maxMinutes = learnt?.maxMinutes ?? configuredMinutes;
    let source: Lifetime['source'] = learnt ? 'learnt' : found ? found.source : 'assumed';
    let cappedBecause: string | undefined;
    if (
      found?.lifecycleRequiredBeyondOneHour &&
      !subject.lifecycleNotificationUrl &&
      maxMinutes > WITHOUT_LIFECYCLE_MAX_MINUTES
    ) {
      maxMinutes = WITHOUT_LIFECYCLE_MAX_MINUTES;
      cappedBecause = `it has no lifecycleNotificationUrl, without which Graph allows a ${kind} subscription at most ${WITHOUT_LIFECYCLE_MAX_MINUTES} minutes`;
      source = found.source;
    }
    return {
      kind,
      key,
      maxMinutes,
      configuredMinutes,
      source,
      known: found !== undefined,
      ...(cappedBecause ? { cappedBecause } : {}),
    };
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
    return learnt && learnt.configuredMinutes === configuredMinutes && learnt.maxMinutes < configuredMinutes
      ? learnt
      : undefined;
  }

  private configuredFor(key: string): number | undefined {
    const [kind, variant] = key.split('+');
    const found = this.rules.find((candidate) => candidate.kind === kind);
    if (!found) return kind === 'unknown' ? UNKNOWN_MAX_MINUTES : undefined;
    return variant === 'rich' ? (found.richMaxMinutes ?? found.maxMinutes) : found.maxMinutes;
  }
}
