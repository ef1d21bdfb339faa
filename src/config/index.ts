import type { Env } from './env';
import { type GraphConfig, type IdentityConfig, readGraph, readGraphBaseUrl, readIdentity } from './graph';
import { type QueueConfig, readQueue } from './queue';
import { readRenewal, type RenewalConfig } from './renewal';
import { readSchedule, readStatusConfig, readTimeZone, type ScheduleConfig, type StatusConfig } from './schedule';
import { readTables, type TablesConfig } from './storage';
import { readTenancy, type TenancyConfig } from './tenancy';
import { readWebhookOrProblem, type WebhookSettings } from './webhook';

export { ConfigError } from './configError';
export type { Env } from './env';
export type { GraphConfig, IdentityConfig } from './graph';
export type { QueueConfig } from './queue';
export type { RenewalConfig } from './renewal';
export type { ScheduleConfig, StatusConfig } from './schedule';
export { SETTINGS } from './settings';
export { type StorageConfig, tablesAllowInsecureConnection, type TablesConfig } from './storage';
export type { TenancyConfig } from './tenancy';
export type { WebhookConfig, WebhookSettings } from './webhook';

/** Every setting, validated, by area. */
export interface Config extends TablesConfig, IdentityConfig, WebhookSettings {
  graph: GraphConfig;
  renewal: RenewalConfig;
  /** Where a run hands the due subscriptions it has no time for; undefined: they wait for the next run. */
  queue: QueueConfig | undefined;
  schedule: ScheduleConfig;
  status: StatusConfig;
  /** The home tenant and, with a multi-tenant app registration, the customer tenants. */
  tenancy: TenancyConfig;
}

/**
 * Reads and validates every setting this app uses; the only reader of process.env. Pure: it returns
 * the configuration and changes nothing (compositionRoot/services.ts registers the client state as a
 * secret: every entry point goes through it before the client state is used).
 * The areas are read in a fixed order, so that the first setting wrong is the one reported.
 */
export function loadConfig(env: Env = process.env): Config {
  const graphBaseUrl = readGraphBaseUrl(env);
  const timeZone = readTimeZone(env);
  const renewal = readRenewal(env, timeZone);
  return {
    ...readTables(env),
    graph: readGraph(env, graphBaseUrl),
    ...readIdentity(env),
    renewal,
    schedule: readSchedule(env, timeZone),
    status: readStatusConfig(env),
    ...readWebhookOrProblem(env),
    queue: readQueue(env),
    tenancy: readTenancy(env),
  };
}
