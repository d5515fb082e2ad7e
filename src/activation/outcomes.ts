/**
 * The outcomes a device can end with, and how ThingSpace statuses map onto them. Plain values (no zod), so the
 * workflow bundle can use them.
 */

/**
 * - `activated` / `failed`: what ThingSpace reported (callback, state or history).
 * - `skipped`: never submitted by this job (already active, not in the account, ineligible, in another job's hands,
 *   or the job was cancelled before its request was sent).
 * - `unresolved`: submitted (or possibly submitted), but no outcome could be established in time.
 * - `unconfirmed`: the activate answer was lost and no sign that ThingSpace acted on the request appeared during the
 *   whole activation window; never resent automatically.
 */
export const OUTCOMES = ['activated', 'failed', 'skipped', 'unresolved', 'unconfirmed'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export type OutcomeCounts = Record<Outcome | 'total' | 'pending', number>;

export function emptyCounts(total = 0): OutcomeCounts {
  return { total, activated: 0, failed: 0, skipped: 0, unresolved: 0, unconfirmed: 0, pending: total };
}

/** Adds `more`'s outcome counts into `into` (moving them out of `pending`). */
export function addCounts(into: OutcomeCounts, more: Partial<OutcomeCounts>): void {
  for (const outcome of OUTCOMES) {
    const n = more[outcome] ?? 0;
    into[outcome] += n;
    into.pending -= n;
  }
}

export { statusOutcome, type StatusOutcome } from '../thingspace/schemas/status.js';
