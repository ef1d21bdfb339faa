import { redact } from '../lib/redact';
import type { RunCounts } from './runRecord';
import type { CensusCounts } from './status/summary';

/**
 * A log line for one event: a sentence for people, then ` | ` and the event as JSON for queries.
 * `context.log` arguments reach Application Insights as one `message` string, not as
 * customDimensions (those need OpenTelemetry: https://learn.microsoft.com/azure/azure-functions/opentelemetry-howto),
 * so the fields travel in the message and KQL reads them with `parse_json(extract(@"\| (\{.*\})$", 1, message))`
 * (see queries/ and docs/events.md). Redacted like every log line.
 */
export function eventLine(sentence: string, event: RenewalEvent): string {
  // Queries take the first "| {" as the start of the fields: the sentence must not contain one.
  return redact(`${sentence.replaceAll('| {', '|{')} | ${JSON.stringify(event)}`);
}

/**
 * Every event a run reports, with the tenant it is about: a subscription's tenant, or ALL_TENANTS for
 * a line about the whole run or the whole table (queries group failures by it: queries/failures-by-tenant.kql).
 */
export type RenewalEvent = EventBody & { tenantId: string };

/** The `tenantId` of a line about every tenant at once (a run, a census). */
export const ALL_TENANTS = '*';

/** `event` names the event, the rest are its fields (absent when unknown). */
type EventBody =
  | { event: 'runStarted'; runId: string; trigger: string; isPastDue: boolean }
  | ({
      event: 'runFinished';
      runId: string;
      outcome: string;
      nextRunAt: string;
      error?: string;
      recordError?: string;
    } & RunCounts)
  | { event: 'budgetExhausted'; runId: string; deferred: number; queued: number; error?: string }
  | { event: 'runNotStarted'; error: string }
  | { event: 'tenantUnavailable'; runId: string; due: number; failed: number; consentMissing: boolean; error: string }
  | { event: 'tenantAdded' }
  | { event: 'tenantRemoved'; subscriptions: number }
  | {
      event: 'renewalPoisoned';
      runId: string;
      partitionKey: string;
      subscriptionId: string;
      attempts: number;
      stillDue: boolean;
    }
  | { event: 'noneDue'; runId: string; checked: number; horizon: string }
  | { event: 'dueFound'; runId: string; due: number }
  | { event: 'rowMalformed'; runId: string; partitionKey: string; rowKey: string; problem: string }
  | ({
      event: 'subscriptionRenewed';
      outcome: 'renewed';
      newExpiration: string;
      concurrentRunWasFirst: boolean;
    } & SubscriptionFields)
  | ({
      event: 'renewalFailed';
      outcome: 'failed';
      statusCode: number;
      code: string;
      requestId?: string;
    } & SubscriptionFields)
  | ({
      event: 'subscriptionGone';
      outcome: 'expired';
      statusCode: number;
      code: string;
      requestId?: string;
    } & SubscriptionFields)
  | ({ event: 'tableWriteFailed'; outcome: 'failed'; newExpiration?: string } & SubscriptionFields)
  | ({ event: 'subscriptionSkipped'; leaseUntil?: string } & SubscriptionFields)
  | ({ event: 'recreateFailed'; statusCode: number; code: string; requestId?: string } & Omit<
      SubscriptionFields,
      'oldExpiration'
    >)
  | ({
      event: 'subscriptionRecreated';
      newSubscriptionId: string;
      newExpiration: string;
      adopted: boolean;
      lostSince: string;
    } & Omit<SubscriptionFields, 'oldExpiration'>)
  | { event: 'lifecycleReceived'; invocationId: string; subscriptionId: string; lifecycleEvent: string }
  | { event: 'lifecycleIgnored'; invocationId: string; subscriptionId?: string; reason: string }
  | { event: 'notificationsMissed'; invocationId: string; subscriptionId: string; resource: string }
  | { event: 'subscriptionRegistered'; subscriptionId: string; resource: string; expiration: string; adopted: boolean }
  | { event: 'subscriptionRemoved'; subscriptionId: string; resource: string; onGraph: string }
  | { event: 'subscriptionUpdated'; subscriptionId: string; resource: string; changed: string[]; expiration: string }
  | ({ event: 'unknownResource'; maxMinutes: number } & SubscriptionFields)
  | ({ event: 'cannotKeepAlive'; problem: string } & SubscriptionFields)
  | ({
      event: 'censusFinished';
      converted: number;
      indexed: number;
      flagged: number;
      cleared: number;
      queued: number;
      seconds: number;
      failedWrites: number;
    } & CensusCounts)
  | {
      event: 'graphMaximumLower';
      runId: string;
      subscriptionId: string;
      resource: string;
      maxMinutes: number;
      requested: string;
      retry: string;
      graphTime: string;
    }
  | {
      event: 'graphMaximumLearnt';
      runId: string;
      subscriptionId: string;
      resource: string;
      kind: string;
      maxMinutes: number;
      configuredMinutes: number;
    };

interface SubscriptionFields {
  runId: string;
  tenantId: string;
  subscriptionId: string;
  resource: string;
  oldExpiration: string;
}
