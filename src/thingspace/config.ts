import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { dottedIssuePath, formatZodError } from './schemas/format.js';

/** ThingSpace locks the account after five failed logins in a row, so the guard must trip well before that. */
export const MAX_LOGIN_FAILURES_LIMIT = 4;

/** 127.0.0.0/8, ::1 and localhost: plain HTTP there never leaves the machine. */
function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

export const INSECURE_BASE_URL_RULE =
  'baseUrl must be https (plain http only for a loopback address, or with allowInsecureHttp for a simulator)';

export const ThingSpaceConfigSchema = z
  .object({
    /** API root including `/api`, e.g. `https://thingspace.verizon.com/api` or a simulator's URL. */
    baseUrl: z
      .url({ protocol: /^https?$/, error: 'baseUrl must be an http(s) URL' })
      .transform((url) => url.replace(/\/+$/, '')),
    /**
     * Plain http to a host other than loopback: only for a simulator on another host or container
     * (THINGSPACE_ALLOW_INSECURE_HTTP=true). The real API is https; over http every login would carry the app
     * secret and the password in clear.
     */
    allowInsecureHttp: z.boolean().default(false),
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
  })
  .superRefine((config, ctx) => {
    // Runs even when fields failed: a baseUrl that is no URL at all is already reported.
    const url = URL.parse(String(config.baseUrl));
    if (url?.protocol === 'http:' && config.allowInsecureHttp !== true && !isLoopback(url.hostname)) {
      ctx.addIssue({ code: 'custom', path: ['baseUrl'], message: INSECURE_BASE_URL_RULE });
    }
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
  allowInsecureHttp: 'THINGSPACE_ALLOW_INSECURE_HTTP',
  appKey: 'THINGSPACE_APP_KEY',
  appSecret: 'THINGSPACE_APP_SECRET',
  username: 'THINGSPACE_USERNAME',
  password: 'THINGSPACE_PASSWORD',
  accountName: 'THINGSPACE_ACCOUNT_NAME',
  'timeouts.requestMs': 'THINGSPACE_REQUEST_TIMEOUT_MS',
};

/** Secrets that may come from a file (a compose or Kubernetes secret) instead of the environment. */
const SECRET_FILES = {
  appKey: ['THINGSPACE_APP_KEY', 'THINGSPACE_APP_KEY_FILE'],
  appSecret: ['THINGSPACE_APP_SECRET', 'THINGSPACE_APP_SECRET_FILE'],
  password: ['THINGSPACE_PASSWORD', 'THINGSPACE_PASSWORD_FILE'],
} as const;

/**
 * Settings from `THINGSPACE_*` variables (BASE_URL, APP_KEY, APP_SECRET, USERNAME, PASSWORD, ACCOUNT_NAME,
 * REQUEST_TIMEOUT_MS, ALLOW_INSECURE_HTTP), over an optional JSON file named by THINGSPACE_CONFIG_FILE with the
 * config's own field names (`{"appKey": …, "timeouts": {"requestMs": …}}`), e.g. a mounted secret. Variables win
 * over the file. APP_KEY, APP_SECRET and PASSWORD may instead name a file holding the value: THINGSPACE_APP_KEY_FILE,
 * THINGSPACE_APP_SECRET_FILE, THINGSPACE_PASSWORD_FILE (a trailing newline is dropped). Errors name variables and
 * files, never contents.
 */
export function configFromEnv(
  env: Record<string, string | undefined> = process.env,
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): ThingSpaceConfig {
  let file: Record<string, unknown> = {};
  if (env.THINGSPACE_CONFIG_FILE) {
    const path = env.THINGSPACE_CONFIG_FILE;
    let text: string;
    try {
      text = readFile(path);
    } catch (err) {
      throw new ThingSpaceConfigError(
        `THINGSPACE_CONFIG_FILE (${path}) could not be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
    try {
      file = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // JSON.parse's message quotes the text around the error, and the text holds the secrets.
      throw new ThingSpaceConfigError(
        `THINGSPACE_CONFIG_FILE (${path}) could not be read as JSON: it is not valid JSON`,
      );
    }
    if (typeof file !== 'object' || file === null || Array.isArray(file)) {
      throw new ThingSpaceConfigError(`THINGSPACE_CONFIG_FILE (${path}) must hold a JSON object`);
    }
  }
  const set = (value: string | undefined) => (value === undefined || value === '' ? undefined : value);
  const problems: string[] = [];
  /** Variables whose file already has a problem listed: "must be set" would only repeat it. */
  const reported = new Set<string>();
  const secret = ([name, fileName]: (typeof SECRET_FILES)[keyof typeof SECRET_FILES]) => {
    const value = set(env[name]);
    const path = set(env[fileName]);
    if (path === undefined) return value;
    const problem = (text: string) => {
      problems.push(text);
      reported.add(name);
      return undefined;
    };
    if (value !== undefined) return problem(`${name}, ${fileName}: set only one of them`);
    try {
      const content = readFile(path).replace(/\r?\n$/, '');
      return content === '' ? problem(`${fileName}: ${path} is empty`) : content;
    } catch (err) {
      return problem(`${fileName}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  };
  const insecure = set(env.THINGSPACE_ALLOW_INSECURE_HTTP);
  if (insecure !== undefined && insecure !== 'true' && insecure !== 'false') {
    problems.push('THINGSPACE_ALLOW_INSECURE_HTTP: must be true or false');
  }
  const fromEnv = Object.fromEntries(
    Object.entries({
      baseUrl: set(env.THINGSPACE_BASE_URL),
      appKey: secret(SECRET_FILES.appKey),
      appSecret: secret(SECRET_FILES.appSecret),
      username: set(env.THINGSPACE_USERNAME),
      password: secret(SECRET_FILES.password),
      accountName: set(env.THINGSPACE_ACCOUNT_NAME),
      allowInsecureHttp: insecure === undefined ? undefined : insecure === 'true',
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
  if (!result.success || problems.length > 0) {
    for (const issue of result.error?.issues ?? []) {
      const path = dottedIssuePath(issue.path);
      const missing = issue.code === 'invalid_type' && issue.message.endsWith('received undefined');
      if (missing && reported.has(ENV_NAMES[path] ?? '')) continue;
      // The schema's rules name fields; here they name the variables.
      const message = issue.message.replace('with allowInsecureHttp', 'with THINGSPACE_ALLOW_INSECURE_HTTP=true');
      problems.push(`${ENV_NAMES[path] ?? path}: ${missing ? 'must be set' : message}`);
    }
    throw new ThingSpaceConfigError(`ThingSpace settings: ${problems.join('; ')}`);
  }
  return result.data;
}
