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

/** Reads `THINGSPACE_*` variables: BASE_URL, APP_KEY, APP_SECRET, USERNAME, PASSWORD, ACCOUNT_NAME. */
export function configFromEnv(env: Record<string, string | undefined> = process.env): ThingSpaceConfig {
  return parseConfig({
    baseUrl: env.THINGSPACE_BASE_URL ?? 'https://thingspace.verizon.com/api',
    appKey: env.THINGSPACE_APP_KEY,
    appSecret: env.THINGSPACE_APP_SECRET,
    username: env.THINGSPACE_USERNAME,
    password: env.THINGSPACE_PASSWORD,
    accountName: env.THINGSPACE_ACCOUNT_NAME || undefined,
    ...(env.THINGSPACE_REQUEST_TIMEOUT_MS
      ? { timeouts: { requestMs: Number(env.THINGSPACE_REQUEST_TIMEOUT_MS) } }
      : {}),
  });
}
