/**
 * `Authorization: Bearer <token>` checks that take the same time however much of a guess is right: both sides are
 * hashed to a fixed length first (timingSafeEqual needs equal lengths, and the hash hides the token's length), then
 * compared with crypto.timingSafeEqual. A `!==` on the strings returns at the first differing character, which
 * lets a caller recover the token a character at a time from response times.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

export type BearerCheck = (authorization: string | undefined) => boolean;

export function bearerCheck(token: string): BearerCheck {
  const expected = digest(`Bearer ${token}`);
  return (authorization) => timingSafeEqual(digest(authorization ?? ''), expected);
}
