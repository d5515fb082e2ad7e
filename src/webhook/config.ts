/**
 * Webhook settings from the environment, validated once at start-up so that a bad value stops the process with a
 * message naming the variable. Temporal's own settings (TEMPORAL_ADDRESS …) are read by src/temporal/connection.ts.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { DEFAULT_TASK_QUEUE } from '../task-queues.js';
import { exampleSecretProblem, isExampleSecret } from '../example-secrets.js';
import { formatZodError } from '../thingspace/schemas/format.js';
import { blankAsUnset, intSetting, type Env } from '../settings.js';

export class WebhookConfigError extends Error {
  override name = 'WebhookConfigError';
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * Requests a minute per client IP. ThingSpace sends from few addresses, so the default sits above the most it can
 * send: one account's ceiling is 1,000,000 activations a minute, two callbacks each for NB-IoT. At 60,000 the bench's
 * 100,000-device job had 40,000 callbacks refused until ThingSpace gave them up, and so did a scale test whose
 * webhook was built without the env's default. The limit blunts a flood; it must not shape ThingSpace's traffic.
 */
export const DEFAULT_RATE_LIMIT_PER_MINUTE = 2_000_000;

/** Keys are the variable names, so formatZodError's `path: rule` reads `WEBHOOK_PORT: must be …`. */
const EnvSchema = z.object({
  WEBHOOK_HOST: z.preprocess(blankAsUnset, z.string().default('0.0.0.0')),
  // ThingSpace reaches only 80, 443, 9001–9006, 50551–50559 and 28200–28220; 9001 needs no privileges or proxy.
  WEBHOOK_PORT: intSetting(0, 65_535, 9001),
  // Probes and metrics on their own port, one the outside cannot reach; unset serves them next to the callbacks.
  WEBHOOK_INTERNAL_PORT: z.preprocess(
    blankAsUnset,
    z.coerce
      .number({ error: 'must be an integer from 1 to 65535' })
      .int({ error: 'must be an integer from 1 to 65535' })
      .min(1, { error: 'must be an integer from 1 to 65535' })
      .max(65_535, { error: 'must be an integer from 1 to 65535' })
      .optional(),
  ),
  // Proxies in front whose X-Forwarded-For is trusted (the TLS proxy: 1); 0 uses the peer address.
  WEBHOOK_TRUSTED_PROXY_HOPS: intSetting(0, 10, 0),
  WEBHOOK_BATCH_WINDOW_MS: intSetting(0, 60_000, 100),
  WEBHOOK_BATCH_MAX: intSetting(1, 10_000, 500),
  WEBHOOK_BATCH_QUIET_MS: intSetting(0, 60_000, 2),
  WEBHOOK_BATCH_QUIET_MIN: intSetting(1, 10_000, 200),
  // Temporal refuses payloads over 2 MB by default; half of that leaves room for the encryption codec's envelope.
  WEBHOOK_BATCH_MAX_BYTES: intSetting(1_024, 2_000_000, 1_048_576),
  WEBHOOK_NOT_FOUND_RETRY_MS: intSetting(0, 600_000, 5_000),
  WEBHOOK_SIGNAL_TIMEOUT_MS: intSetting(100, 600_000, 5_000),
  WEBHOOK_BODY_LIMIT_BYTES: intSetting(1_024, 10_485_760, 262_144),
  WEBHOOK_RATE_LIMIT_PER_MINUTE: intSetting(1, 100_000_000, DEFAULT_RATE_LIMIT_PER_MINUTE),
  // Callback inboxes (workflows started by signal-with-start) run on the workers' task queue.
  TASK_QUEUE: z.preprocess(blankAsUnset, z.string().default(DEFAULT_TASK_QUEUE)),
  // Failed credential checks a minute from one client IP before it is answered 429 unchecked; ThingSpace never fails.
  WEBHOOK_AUTH_FAILURES_PER_MINUTE: intSetting(1, 10_000, 10),
  WEBHOOK_LOG_LEVEL: z.preprocess(
    blankAsUnset,
    z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  ),
});

export interface CallbackCredentials {
  username: string;
  password: string;
}

export interface WebhookSettings {
  host: string;
  port: number;
  /** Where /healthz, /livez, /readyz and /metrics listen when they must not share the public port. */
  internalPort: number | undefined;
  /** X-Forwarded-For hops to trust (the TLS proxy in front); 0 takes the peer address as the client's. */
  trustedProxyHops: number;
  credentials: CallbackCredentials;
  /** How long the first callback of a batch may wait for others of the same request. */
  batchWindowMs: number;
  batchMax: number;
  batchMaxBytes: number;
  /**
   * A batch of at least batchQuietMin callbacks leaves once none has arrived for batchQuietMs: a burst from
   * senders that each wait for their answer has stopped growing by then. Smaller batches wait out the window, which
   * keeps slow trickles from turning into one signal per callback. The default 200 bounds the signals this rule
   * makes for a 10,000-device request at 50.
   */
  batchQuietMs: number;
  batchQuietMin: number;
  /** How long a callback may wait for its request workflow to appear before it is answered 503. */
  notFoundRetryMs: number;
  /** Deadline of each Temporal call (signal, describe, readiness check). */
  signalTimeoutMs: number;
  bodyLimitBytes: number;
  /** Requests a minute from one client IP; beyond it the answer is 429 with Retry-After. */
  rateLimitPerMinute: number;
  /** Failed credential checks a minute from one client IP; beyond it 429 without checking. */
  authFailuresPerMinute: number;
  logLevel: (typeof LOG_LEVELS)[number];
  /** Where callback inboxes run: the workers' task queue. */
  taskQueue: string;
}

export type BatchSettings = Pick<
  WebhookSettings,
  'batchWindowMs' | 'batchMax' | 'batchMaxBytes' | 'batchQuietMs' | 'batchQuietMin' | 'notFoundRetryMs'
>;

export const DEFAULT_BATCH_SETTINGS: BatchSettings = {
  batchWindowMs: 100,
  batchMax: 500,
  batchMaxBytes: 1_048_576,
  batchQuietMs: 2,
  batchQuietMin: 200,
  notFoundRetryMs: 5_000,
};

type ReadFile = (path: string) => string;
const readUtf8: ReadFile = (path) => readFileSync(path, 'utf8');

/** Collects every problem instead of stopping at the first, so one start-up names all bad variables. */
function readCredentials(env: Env, readFile: ReadFile): { credentials?: CallbackCredentials; problems: string[] } {
  const problems: string[] = [];
  const username = env.CALLBACK_USERNAME ?? '';
  if (username === '') problems.push('CALLBACK_USERNAME: is required');
  let password = env.CALLBACK_PASSWORD ?? '';
  const file = env.CALLBACK_PASSWORD_FILE ?? '';
  if (password !== '' && file !== '') {
    problems.push('CALLBACK_PASSWORD, CALLBACK_PASSWORD_FILE: set only one of them');
  } else if (file !== '') {
    try {
      // Secret files usually end with a newline that is not part of the password.
      password = readFile(file).replace(/\r?\n$/, '');
      if (password === '') problems.push(`CALLBACK_PASSWORD_FILE: ${file} is empty`);
    } catch (err) {
      problems.push(`CALLBACK_PASSWORD_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  } else if (password === '') {
    // ThingSpace sends the pair in clear in every body; an empty pair would accept anyone's callbacks.
    problems.push('CALLBACK_PASSWORD or CALLBACK_PASSWORD_FILE: is required');
  }
  if (password !== '' && isExampleSecret(password)) {
    problems.push(exampleSecretProblem(file !== '' ? 'CALLBACK_PASSWORD_FILE' : 'CALLBACK_PASSWORD'));
  }
  return problems.length > 0 ? { problems } : { credentials: { username, password }, problems };
}

/**
 * The listener credentials ThingSpace echoes in every callback: CALLBACK_USERNAME plus CALLBACK_PASSWORD or
 * CALLBACK_PASSWORD_FILE (a mounted secret). Shared by the webhook and `register-callbacks` so both read the same
 * pair. Messages name variables, never values.
 */
export function callbackCredentialsFromEnv(env: Env = process.env, readFile: ReadFile = readUtf8): CallbackCredentials {
  const { credentials, problems } = readCredentials(env, readFile);
  if (!credentials) throw new WebhookConfigError(`invalid callback credentials: ${problems.join('; ')}`);
  return credentials;
}

export function webhookSettingsFromEnv(env: Env = process.env, readFile: ReadFile = readUtf8): WebhookSettings {
  const parsed = EnvSchema.safeParse(env);
  const { credentials, problems } = readCredentials(env, readFile);
  if (!parsed.success) problems.unshift(formatZodError(parsed.error, 20));
  if (!parsed.success || !credentials) throw new WebhookConfigError(`invalid webhook settings: ${problems.join('; ')}`);
  const e = parsed.data;
  return {
    host: e.WEBHOOK_HOST,
    port: e.WEBHOOK_PORT,
    internalPort: e.WEBHOOK_INTERNAL_PORT,
    trustedProxyHops: e.WEBHOOK_TRUSTED_PROXY_HOPS,
    credentials,
    batchWindowMs: e.WEBHOOK_BATCH_WINDOW_MS,
    batchMax: e.WEBHOOK_BATCH_MAX,
    batchMaxBytes: e.WEBHOOK_BATCH_MAX_BYTES,
    batchQuietMs: e.WEBHOOK_BATCH_QUIET_MS,
    batchQuietMin: e.WEBHOOK_BATCH_QUIET_MIN,
    notFoundRetryMs: e.WEBHOOK_NOT_FOUND_RETRY_MS,
    signalTimeoutMs: e.WEBHOOK_SIGNAL_TIMEOUT_MS,
    bodyLimitBytes: e.WEBHOOK_BODY_LIMIT_BYTES,
    rateLimitPerMinute: e.WEBHOOK_RATE_LIMIT_PER_MINUTE,
    authFailuresPerMinute: e.WEBHOOK_AUTH_FAILURES_PER_MINUTE,
    logLevel: e.WEBHOOK_LOG_LEVEL,
    taskQueue: e.TASK_QUEUE,
  };
}
