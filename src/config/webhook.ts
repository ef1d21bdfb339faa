import { isLoopback } from '../lib/loopback';
import { readChannel } from '../renewal/policy/deliveryChannel';
import { ConfigError } from './configError';
import { type Env, GUID, present } from './env';
import { parseUrl } from './url';

/** What creating subscriptions and checking lifecycle notifications take. */
export interface WebhookConfig {
  /** Sent to Graph with each new subscription and expected back in every notification. A secret. */
  clientState: string | undefined;
  /** Where Graph delivers change notifications for subscriptions registered without a URL of their own. */
  notificationUrl: string | undefined;
  /** This app's lifecycle endpoint (/api/webhooks/lifecycle), given to every new subscription. */
  lifecycleUrl: string | undefined;
  /** The mailbox a registration without a resource watches (the seed's setting). */
  userId: string | undefined;
}

export interface WebhookSettings {
  webhook: WebhookConfig;
  /**
   * What is wrong with the webhook settings, if anything. Kept apart rather than thrown: a bad client
   * state must stop registration, recreation and the lifecycle endpoint, never the renewals.
   */
  webhookProblem: string | undefined;
}

const NO_WEBHOOK: WebhookConfig = {
  clientState: undefined,
  notificationUrl: undefined,
  lifecycleUrl: undefined,
  userId: undefined,
};

/** The webhook settings, or none and what is wrong with them. */
export function readWebhookOrProblem(env: Env): WebhookSettings {
  try {
    return { webhook: readWebhook(env), webhookProblem: undefined };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return { webhook: NO_WEBHOOK, webhookProblem: error.message };
  }
}

/** The webhook settings; throws a ConfigError naming the first one that is wrong. */
function readWebhook(env: Env): WebhookConfig {
  return {
    clientState: readClientState(env),
    notificationUrl: readChannelSetting(env, 'WEBHOOK_NOTIFICATION_URL'),
    lifecycleUrl: readChannelSetting(env, 'WEBHOOK_LIFECYCLE_URL') ?? lifecycleUrlOfThisApp(env),
    userId: readUserId(env),
  };
}

/**
 * This app's own lifecycle endpoint, when WEBHOOK_LIFECYCLE_URL is unset: App Service sets
 * WEBSITE_HOSTNAME to the app's default host name, whatever the cloud (…azurewebsites.net,
 * …azurewebsites.us, …chinacloudsites.cn; learn.microsoft.com/azure/app-service/reference-app-settings).
 * Core Tools sets it to localhost:<port> (azure-functions-core-tools StartHostAction), which Graph
 * cannot reach: no default there. It is the platform's variable, not a setting, so it is not in
 * SETTINGS: Core Tools fails to start when local.settings.json sets it as well.
 */
function lifecycleUrlOfThisApp(env: Env): string | undefined {
  const host = env.WEBSITE_HOSTNAME?.trim();
  if (!present(host)) return undefined;
  const url = parseUrl(`https://${host}/api/webhooks/lifecycle`);
  if (url?.host !== host.toLowerCase()) {
    throw new ConfigError(
      'WEBSITE_HOSTNAME',
      `"${host.slice(0, 100)}" is not a host name. App Service sets it; remove it from the app settings, or set WEBHOOK_LIFECYCLE_URL.`,
    );
  }
  return isLoopback(url.hostname) ? undefined : url.toString();
}

// Graph's limit (clientState, https://learn.microsoft.com/graph/api/resources/subscription); the value is a
// secret, so no message ever quotes it.
const MAX_CLIENT_STATE = 128;
const MIN_CLIENT_STATE = 16;

/**
 * The client state, checked. A secret: the composition root registers it with the redactor
 * (compositionRoot/services.ts, treatAsSecret) before anything uses it; reading it here has no side
 * effect, and no message here ever quotes it.
 */
function readClientState(env: Env): string | undefined {
  const value = env.WEBHOOK_CLIENT_STATE;
  if (!present(value)) return undefined;
  if (/^@Microsoft\.KeyVault\(/i.test(value.trim())) {
    throw new ConfigError(
      'WEBHOOK_CLIENT_STATE',
      'is an unresolved Key Vault reference: the app cannot read the secret. Check that its identity has "Key Vault Secrets User" on the vault and that the secret exists (portal: the setting shows a red "Key Vault Reference" status).',
    );
  }
  if (value.length < MIN_CLIENT_STATE) {
    // It is what tells Graph's notifications from forged ones: a short one can be guessed.
    throw new ConfigError(
      'WEBHOOK_CLIENT_STATE',
      `is ${value.length} characters long; use a random value of ${MIN_CLIENT_STATE} to ${MAX_CLIENT_STATE} characters, e.g. from "openssl rand -hex 32".`,
    );
  }
  if (value.length > MAX_CLIENT_STATE) {
    throw new ConfigError(
      'WEBHOOK_CLIENT_STATE',
      `is ${value.length} characters long; Graph accepts at most ${MAX_CLIENT_STATE}. Use a random value of 32 to 128 characters.`,
    );
  }
  if (value !== value.trim()) {
    throw new ConfigError(
      'WEBHOOK_CLIENT_STATE',
      'starts or ends with white space, which is easy to lose when copying it: remove it.',
    );
  }
  return value;
}

/** A notification or lifecycle URL: https, EventHub: or EventGrid: (renewal/deliveryChannel.ts). */
function readChannelSetting(env: Env, setting: string): string | undefined {
  const value = env[setting];
  if (!present(value)) return undefined;
  const channel = readChannel(value);
  // The value is not echoed: an Event Hubs connection string pasted here by mistake holds a key.
  if ('problem' in channel) throw new ConfigError(setting, channel.problem);
  return channel.value;
}

function readUserId(env: Env): string | undefined {
  const value = env.GRAPH_USER_ID;
  if (!present(value)) return undefined;
  const id = value.trim();
  // Graph names a user by object id or user principal name (GET /users/{id | userPrincipalName},
  // https://learn.microsoft.com/graph/api/user-get).
  if (!GUID.test(id) && !/^[^@\s/]+@[^@\s/]+\.[^@\s/]+$/.test(id)) {
    throw new ConfigError(
      'GRAPH_USER_ID',
      `"${id.slice(0, 100)}" is not a user: use the mailbox owner's object id (a GUID), or their user principal name.`,
    );
  }
  return id;
}
