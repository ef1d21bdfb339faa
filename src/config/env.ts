import { ConfigError } from './configError';

/** The app settings as the process sees them (process.env, or a test's own). */
export type Env = Record<string, string | undefined>;

export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for a value that is set and not only white space. */
export function present(value: string | undefined): value is string {
  return value !== undefined && value.trim() !== '';
}

export interface NumberRule {
  min: number;
  max: number;
  integer?: boolean;
  /** Why the bounds are what they are, when it is not obvious. */
  reason?: string;
}

/** A number setting within `rule`'s bounds, or `fallback` when unset. */
export function readNumber(env: Env, setting: string, fallback: number, rule: NumberRule): number {
  const raw = env[setting];
  if (!present(raw)) return fallback;
  const value = Number(raw.trim());
  const kind = rule.integer ? 'a whole number' : 'a number';
  if (!Number.isFinite(value) || (rule.integer && !Number.isInteger(value)) || value < rule.min || value > rule.max) {
    throw new ConfigError(
      setting,
      `"${raw}" is not valid: use ${kind} from ${rule.min} to ${rule.max} (default ${fallback})${rule.reason ? `; ${rule.reason}` : ''}.`,
    );
  }
  return value;
}
