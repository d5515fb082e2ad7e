/**
 * ThingSpace proves a callback is genuine only by echoing, in the body, the username and password registered with
 * the listener. They are compared in constant time so response timing reveals nothing about the expected values.
 */
import { hash, timingSafeEqual } from 'node:crypto';
import type { CallbackCredentials } from './config.js';
import { windowLimiter, type WindowLimiterOptions } from './limiter.js';

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

export type FailureLimiterOptions = WindowLimiterOptions;

export function failureLimiter(options: FailureLimiterOptions): FailureLimiter {
  const limiter = windowLimiter(options);
  return {
    max: limiter.max,
    retryAfterSeconds: (client) => limiter.retryAfterSeconds(client),
    recordFailure: (client) => limiter.record(client),
  };
}
