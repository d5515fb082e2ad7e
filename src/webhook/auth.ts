/**
 * ThingSpace proves a callback is genuine only by echoing, in the body, the username and password registered with
 * the listener. They are compared in constant time so response timing reveals nothing about the expected values.
 */
import { hash, timingSafeEqual } from 'node:crypto';
import type { CallbackCredentials } from './config.js';

/**
 * One digest of the pair: fixed length, as timingSafeEqual requires, hiding the expected values' lengths; and a
 * single comparison, so nothing tells a wrong username from a wrong password. The username's length prefix keeps
 * ("ab", "c") and ("a", "bc") apart. One hash per callback instead of two is measurable at thousands a second, and
 * the one-shot `hash` costs half of a `createHash` object (2.3 against 4.9 µs here, bench/webhook/hot-path.ts).
 */
const digest = (username: string, password: string) =>
  hash('sha256', `${username.length}:${username}${password}`, 'buffer');

export type CredentialCheck = (username: unknown, password: unknown) => boolean;

export function credentialCheck(expected: CallbackCredentials): CredentialCheck {
  const want = digest(expected.username, expected.password);
  return (username, password) =>
    timingSafeEqual(
      digest(typeof username === 'string' ? username : '', typeof password === 'string' ? password : ''),
      want,
    );
}

/**
 * Failed credential checks per client, in fixed one-minute windows: beyond `max`, the client is answered 429
 * without its guess being checked until its window ends. The general rate limit (60,000 a minute by default) is
 * sized for ThingSpace's callback bursts and would allow 3.6 million password guesses an hour; ThingSpace itself
 * never fails the check, so a limit of ten costs it nothing. Per instance and in memory, like the general limit.
 */
export interface FailureLimiter {
  /** Seconds until `client` may try again, or undefined while it is under the limit. */
  retryAfterSeconds(client: string): number | undefined;
  recordFailure(client: string): void;
  readonly max: number;
}

export interface FailureLimiterOptions {
  max: number;
  windowMs?: number;
  /**
   * Clients tracked at once (a map entry each). Beyond it, clients not yet tracked share one entry: a spray from
   * more addresses than that is still bounded, at the price of refusing those clients together for the window.
   */
  maxClients?: number;
  now?: () => number;
}

const SHARED_ENTRY = '(other clients)';

export function failureLimiter(options: FailureLimiterOptions): FailureLimiter {
  const { max, windowMs = 60_000, maxClients = 100_000, now = Date.now } = options;
  const entries = new Map<string, { failures: number; resetAt: number }>();
  const current = (client: string, at: number) => {
    const entry = entries.get(client) ?? entries.get(SHARED_ENTRY);
    if (entry && entry.resetAt <= at) {
      entries.delete(entries.get(client) ? client : SHARED_ENTRY);
      return undefined;
    }
    return entry;
  };
  const prune = (at: number) => {
    for (const [client, entry] of entries) if (entry.resetAt <= at) entries.delete(client);
  };
  return {
    max,
    retryAfterSeconds(client) {
      const at = now();
      const entry = current(client, at);
      return entry && entry.failures >= max ? Math.max(1, Math.ceil((entry.resetAt - at) / 1000)) : undefined;
    },
    recordFailure(client) {
      const at = now();
      let entry = current(client, at);
      if (!entry) {
        if (entries.size >= maxClients) prune(at);
        const key = entries.size >= maxClients ? SHARED_ENTRY : client;
        entry = entries.get(key) ?? { failures: 0, resetAt: at + windowMs };
        entries.set(key, entry);
      }
      entry.failures += 1;
    },
  };
}
