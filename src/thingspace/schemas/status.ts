/** ThingSpace's callback and history statuses, which come in mixed case and differ per service. Pure: workflows use it. */

export type StatusOutcome = 'success' | 'failure' | 'pending' | 'unknown';

/**
 * A callback or history status. Only explicit failures are final failures; `Pending` and statuses we do not know
 * are not outcomes (a device with one keeps waiting for the final word, or for polling).
 */
export function statusOutcome(status: string | null | undefined): StatusOutcome {
  const s = (status ?? '').trim().toLowerCase();
  if (s === 'success' || s === 'succeeded' || s === 'successful' || s === 'configcreated') return 'success';
  if (s.includes('fail') || s === 'error' || s === 'rejected') return 'failure';
  if (s === 'pending' || s === 'inprogress' || s === 'in progress' || s === 'queued') return 'pending';
  return 'unknown';
}
