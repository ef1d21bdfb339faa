import { findIana } from 'windows-iana';
import { SHORT_LIVED_FUNCTION_NAME } from '../renewal/policy/cadence';
import { CENSUS_FUNCTION_NAME, RENEWAL_FUNCTION_NAME, RENEWAL_SCHEDULE } from '../renewal/policy/schedule';
import { ConfigError } from './configError';
import { type Env, present, readNumber } from './env';

/** When the timers run, and which of them the portal has disabled. */
export interface ScheduleConfig {
  cron: string;
  /** IANA name used to compute the next run; the Functions host runs timers in this zone. */
  timeZone: string;
  timerDisabled: boolean;
  /** The renewShortLivedSubscriptions timer is disabled: nothing renews short-lived subscriptions. */
  shortTimerDisabled: boolean;
  /** The census timer (subscriptionCensus) is disabled: the status then says its summary is stale. */
  censusDisabled: boolean;
}

export interface StatusConfig {
  maxRunAgeHours: number;
}

export function readSchedule(env: Env, timeZone: string): ScheduleConfig {
  return {
    cron: RENEWAL_SCHEDULE,
    timeZone,
    timerDisabled: readTimerDisabled(env, RENEWAL_FUNCTION_NAME),
    shortTimerDisabled: readTimerDisabled(env, SHORT_LIVED_FUNCTION_NAME),
    censusDisabled: readTimerDisabled(env, CENSUS_FUNCTION_NAME),
  };
}

export function readStatusConfig(env: Env): StatusConfig {
  return { maxRunAgeHours: readNumber(env, 'STATUS_MAX_RUN_AGE_HOURS', 26, { min: 1, max: 720 }) };
}

/**
 * The host runs timers in WEBSITE_TIME_ZONE (a Windows id on Windows plans, an IANA name on Linux),
 * or UTC when it is unset; the status must compute the same next run.
 */
export function readTimeZone(env: Env): string {
  const value = env.WEBSITE_TIME_ZONE;
  if (!present(value)) return 'UTC';
  const name = value.trim();
  if (isIanaZone(name)) return name;
  const fromWindows = findIana(name)?.[0];
  if (fromWindows && isIanaZone(fromWindows)) return fromWindows;
  throw new ConfigError(
    'WEBSITE_TIME_ZONE',
    `"${name}" is not a known time zone: use "Romance Standard Time" on Windows or "Europe/Paris" on Linux (Premium or Dedicated plans).`,
  );
}

function isIanaZone(name: string): boolean {
  if (!name.includes('/') && name !== 'UTC') return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/**
 * The portal disables a function with AzureWebJobs.<name>.Disabled; Linux app settings cannot hold
 * dots, so the same flag may arrive with underscores.
 */
function readTimerDisabled(env: Env, functionName: string): boolean {
  const names = [
    `AzureWebJobs.${functionName}.Disabled`,
    `AzureWebJobs_${functionName}_Disabled`,
    `AzureWebJobs__${functionName}__Disabled`,
  ];
  for (const name of names) {
    const value = env[name];
    if (!present(value)) continue;
    const normalized = value.trim().toLowerCase();
    if (normalized === 'true' || normalized === '1') return true;
    if (normalized === 'false' || normalized === '0') continue;
    throw new ConfigError(name, `"${value}" is not valid: use true or false.`);
  }
  return false;
}
