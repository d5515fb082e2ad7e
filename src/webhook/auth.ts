/**
 * ThingSpace proves a callback is genuine only by echoing, in the body, the username and password registered with
 * the listener. They are compared in constant time so response timing reveals nothing about the expected values.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { CallbackCredentials } from './config.js';

/**
 * One digest of the pair: fixed length, as timingSafeEqual requires, hiding the expected values' lengths; and a
 * single comparison, so nothing tells a wrong username from a wrong password. The username's length prefix keeps
 * ("ab", "c") and ("a", "bc") apart. One hash per callback instead of two is measurable at thousands a second.
 */
const digest = (username: string, password: string) =>
  createHash('sha256').update(`${username.length}:${username}${password}`, 'utf8').digest();

export type CredentialCheck = (username: unknown, password: unknown) => boolean;

export function credentialCheck(expected: CallbackCredentials): CredentialCheck {
  const want = digest(expected.username, expected.password);
  return (username, password) =>
    timingSafeEqual(
      digest(typeof username === 'string' ? username : '', typeof password === 'string' ? password : ''),
      want,
    );
}
