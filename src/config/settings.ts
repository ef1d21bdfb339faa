import { SHORT_LIVED_FUNCTION_NAME } from '../renewal/policy/cadence';
import { CENSUS_FUNCTION_NAME, RENEWAL_FUNCTION_NAME } from '../renewal/policy/schedule';

/**
 * Every app setting this module reads. The README's configuration table, docs/configuration.md and
 * local.settings.sample.json list each one (a test keeps them in step).
 */
export const SETTINGS = [
  'TABLES_CONNECTION_STRING',
  'TABLES_ENDPOINT',
  'SUBSCRIPTIONS_TABLE',
  'RUNS_TABLE',
  'GRAPH_BASE_URL',
  'GRAPH_TIMEOUT_SECONDS',
  'GRAPH_MAX_ATTEMPTS',
  'GRAPH_RETRY_BASE_SECONDS',
  'AZURE_CLIENT_ID',
  'RENEWAL_CONCURRENCY',
  'RENEWAL_MARGIN_HOURS',
  'RENEWAL_LIFETIME_HOURS',
  'RENEWAL_RUN_BUDGET_MINUTES',
  'STATUS_MAX_RUN_AGE_HOURS',
  'WEBSITE_TIME_ZONE',
  `AzureWebJobs.${RENEWAL_FUNCTION_NAME}.Disabled`,
  'WEBHOOK_CLIENT_STATE',
  'WEBHOOK_NOTIFICATION_URL',
  'WEBHOOK_LIFECYCLE_URL',
  'GRAPH_USER_ID',
  'RENEWAL_MAILBOX_CONCURRENCY',
  'GRAPH_WRITES_PER_WINDOW',
  'GRAPH_WRITE_WINDOW_SECONDS',
  'RENEWAL_QUEUE',
  'AzureWebJobsStorage',
  'AzureWebJobsStorage__queueServiceUri',
  'GRAPH_LISTS_PER_WINDOW',
  'GRAPH_MAX_LIFETIMES',
  `AzureWebJobs.${SHORT_LIVED_FUNCTION_NAME}.Disabled`,
  'SUBSCRIPTION_INDEX_TABLE',
  `AzureWebJobs.${CENSUS_FUNCTION_NAME}.Disabled`,
] as const;
