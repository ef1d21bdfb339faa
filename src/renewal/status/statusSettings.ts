/** What the status is told of the timers and the renewal settings (built from the configuration). */
export interface StatusSettings {
  functionName: string;
  cron: string;
  timeZone: string;
  timerDisabled: boolean;
  /** The short-lived timer (renewShortLivedSubscriptions) is disabled. */
  shortTimerDisabled: boolean;
  marginHours: number;
  lifetimeHours: number;
  /** No finished run for longer than this is a problem (one daily interval plus slack). */
  maxRunAgeHours: number;
  /** A run still "running" after this long was stopped by the host (longer than functionTimeout). */
  abandonedRunHours: number;
  /** The census timer: its name, schedule and disable switch (a summary older than two intervals is a problem). */
  census: { functionName: string; cron: string; disabled: boolean };
  /** Settings that are wrong without stopping the renewals (the webhook settings). */
  configurationProblems?: string[];
  /** The home tenant's name and, with MULTI_TENANT_APP_CLIENT_ID, the multi-tenant app and where admins consent. */
  tenancy?: { homeTenant: string; appClientId: string | undefined; authorityHost: string };
}
