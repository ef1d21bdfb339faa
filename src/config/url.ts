import { isLoopback } from '../lib/loopback';
import { ConfigError } from './configError';
import { type Env, present } from './env';

/** `text` as a URL, or undefined when it is not one. */
export function parseUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

/** What a URL setting must be, and what its messages say when it is not. */
export interface UrlRule {
  /** The message when the value is not a URL at all. */
  notAUrl: (value: string) => string;
  /** The message when it is not https: `loopback` accepts http (or any scheme) for a loopback emulator. */
  notHttps: { loopback: true; message: string } | { loopback: false; message: (protocol: string) => string };
}

/**
 * The one reader of URL settings: undefined when unset, the parsed URL when it is one and uses https
 * (or, where `rule` allows it, a loopback emulator), a ConfigError naming the setting otherwise.
 */
export function readUrl(env: Env, setting: string, rule: UrlRule): URL | undefined {
  const value = env[setting];
  if (!present(value)) return undefined;
  const url = parseUrl(value.trim());
  if (!url) throw new ConfigError(setting, rule.notAUrl(value));
  if (url.protocol !== 'https:' && !(rule.notHttps.loopback && isLoopback(url.hostname))) {
    const { notHttps } = rule;
    throw new ConfigError(setting, notHttps.loopback ? notHttps.message : notHttps.message(url.protocol));
  }
  return url;
}

/** A storage service endpoint (tables, queues): https, or http for a loopback emulator; no trailing slash. */
export function readServiceEndpoint(env: Env, setting: string, service: 'table' | 'queue'): URL | undefined {
  return readUrl(env, setting, {
    notAUrl: () =>
      `is not a URL; put the ${service} service endpoint there, e.g. https://<account>.${service}.core.windows.net`,
    notHttps: { loopback: true, message: 'must use https (http is only accepted for a loopback emulator).' },
  });
}

/** The endpoint as the SDK clients take it: the URL without its trailing slash. */
export function endpointText(url: URL): string {
  return url.toString().replace(/\/$/, '');
}

/**
 * An https URL setting that names a host only (Graph's, Entra's): its origin, `fallback` when unset,
 * a ConfigError with `notAUrl` or `hostOnly` when it is not a URL or has a path or query.
 */
export function readHttpsHost(
  env: Env,
  setting: string,
  rule: { fallback: string; notAUrl: (value: string) => string; hostOnly: string },
): string {
  const url = readUrl(env, setting, {
    notAUrl: rule.notAUrl,
    // Tokens go to it: https only, loopback included.
    notHttps: { loopback: false, message: (protocol) => `must be an https URL (got "${protocol}").` },
  });
  if (!url) return rule.fallback;
  if (url.pathname !== '/' || url.search !== '') throw new ConfigError(setting, rule.hostOnly);
  return url.origin;
}
