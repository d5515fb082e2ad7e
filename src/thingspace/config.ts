import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { formatZodError } from './schemas/format.js';

/** ThingSpace locks the account after five failed logins in a row, so the guard must trip well before that. */
export const MAX_LOGIN_FAILURES_LIMIT = 4;

export const ThingSpaceConfigSchema = z.object({
  /** API root including `/api`, e.g. `https://thingspace.verizon.com/api` or a simulator's URL. */
  baseUrl: z
    .url({ protocol: /^https?$/, error: 'baseUrl must be an http(s) URL' })
    .transform((url) => url.replace(/\/+$/, '')),
  appKey: z.string().min(1, { error: 'appKey must not be empty' }),
  appSecret: z.string().min(1, { error: 'appSecret must not be empty' }),
  username: z.string().min(1, { error: 'username must not be empty' }),
  password: z.string().min(1, { error: 'password must not be empty' }),
  /** Default billing account for calls that need one and do not name it. */
  accountName: z.string().min(1).optional(),
  timeouts: z
    .object({
      /** Whole-request limit for an ordinary call; each call may override it. */
      requestMs: z.number().int().positive().default(30_000),
      /** TCP/TLS connect limit: an expired connect timeout is a clear refusal, never ambiguous. */
      connectMs: z.number().int().positive().default(10_000),
      /** OAuth and session login, which are shared by concurrent callers and not cancelled by any one of them. */
      authMs: z.number().int().positive().default(15_000),
    })
    .prefault({}),
  maxConsecutiveLoginFailures: z
    .number()
    .int()
    .min(1)
    .max(MAX_LOGIN_FAILURES_LIMIT, {
      error: `maxConsecutiveLoginFailures must be at most ${MAX_LOGIN_FAILURES_LIMIT}: five failed logins lock the account`,
    })
    .default(2),
  /** Renew the bearer this long before it expires. */
  tokenRenewMarginMs: z.number().int().nonnegative().default(60_000),
  /** Renew the session this long before its (idle) expiry. */
  sessionRenewMarginMs: z.number().int().nonnegative().default(60_000),
  userAgent: z.string().default('thingspace-activation'),
});
export type ThingSpaceConfig = z.infer<typeof ThingSpaceConfigSchema>;
export type ThingSpaceConfigInput = z.input<typeof ThingSpaceConfigSchema>;

export class ThingSpaceConfigError extends Error {
  override name = 'ThingSpaceConfigError';
}

/** Validates configuration; the message names fields and rules, never values (they include secrets). */
export function parseConfig(input: unknown): ThingSpaceConfig {
  const result = ThingSpaceConfigSchema.safeParse(input);
  if (!result.success) throw new ThingSpaceConfigError(`invalid ThingSpace config: ${formatZodError(result.error)}`);
  return result.data;
}

/** Where each setting comes from, so a start-up error names the variable to fix rather than a field. */
const ENV_NAMES: Record<string, string> = {
  baseUrl: 'THINGSPACE_BASE_URL',
  appKey: 'THINGSPACE_APP_KEY',
  appSecret: 'THINGSPACE_APP_SECRET',
  username: 'THINGSPACE_USERNAME',
  password: 'THINGSPACE_PASSWORD',
  accountName: 'THINGSPACE_ACCOUNT_NAME',
  'timeouts.requestMs': 'THINGSPACE_REQUEST_TIMEOUT_MS',
};

/**
 * Settings from `THINGSPACE_*` variables (BASE_URL, APP_KEY, APP_SECRET, USERNAME, PASSWORD, ACCOUNT_NAME,
 * REQUEST_TIMEOUT_MS), over an optional JSON file named by THINGSPACE_CONFIG_FILE with the config's own field
 * names (`{"appKey": …, "timeouts": {"requestMs": …}}`), e.g. a mounted secret. Variables win over the file.
 */
export function configFromEnv(
  env: Record<string, string | undefined> = process.env,
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): ThingSpaceConfig {
  let file: Record<string, unknown> = {};
  if (env.THINGSPACE_CONFIG_FILE) {
    try {
      file = JSON.parse(readFile(env.THINGSPACE_CONFIG_FILE)) as Record<string, unknown>;
    } catch (err) {
      throw new ThingSpaceConfigError(
        `THINGSPACE_CONFIG_FILE (${env.THINGSPACE_CONFIG_FILE}) could not be read as JSON: ${(err as Error).message}`,
      );
    }
  }
  const set = (value: string | undefined) => (value === undefined || value === '' ? undefined : value);
  const fromEnv = Object.fromEntries(
    Object.entries({
      baseUrl: set(env.THINGSPACE_BASE_URL),
      appKey: set(env.THINGSPACE_APP_KEY),
      appSecret: set(env.THINGSPACE_APP_SECRET),
      username: set(env.THINGSPACE_USERNAME),
      password: set(env.THINGSPACE_PASSWORD),
      accountName: set(env.THINGSPACE_ACCOUNT_NAME),
    }).filter(([, value]) => value !== undefined),
  );
  const timeout = set(env.THINGSPACE_REQUEST_TIMEOUT_MS);
  const result = ThingSpaceConfigSchema.safeParse({
    baseUrl: 'https://thingspace.verizon.com/api',
    ...file,
    ...fromEnv,
    ...(timeout !== undefined && {
      timeouts: { ...(file.timeouts as object | undefined), requestMs: Number(timeout) },
    }),
  });
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const path = issue.path.map(String).join('.');
      const missing = issue.code === 'invalid_type' && issue.message.endsWith('received undefined');
      return `${ENV_NAMES[path] ?? path}: ${missing ? 'must be set' : issue.message}`;
    });
    throw new ThingSpaceConfigError(`ThingSpace settings: ${problems.join('; ')}`);
  }
  return result.data;
}
