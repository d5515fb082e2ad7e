/**
 * What is left to act on after a job, for summaries and `status`: devices not activated, grouped by outcome and
 * reason with counts, failures first. Outcomes are handled by name, so one added later (e.g. `unconfirmed`) is
 * listed without changes here; those not named below come after the named ones.
 */
import type { DeviceReport } from '../activation/model.js';

/** Most urgent first: failures need someone, unconfirmed/unresolved need a look, skipped ones usually nothing. */
export const NOT_ACTIVATED_ORDER: readonly string[] = ['failed', 'unconfirmed', 'unresolved', 'skipped'];
/** Not leftovers: done, or not settled yet. */
const SETTLED_OR_OPEN = new Set(['activated', 'pending']);

export function outcomeRank(outcome: string): number {
  const rank = NOT_ACTIVATED_ORDER.indexOf(outcome);
  return rank === -1 ? NOT_ACTIVATED_ORDER.length : rank;
}

/** A stable sort: failures first, then unconfirmed, unresolved, skipped; the job's own order within each. */
export function failuresFirst<T extends { outcome: string }>(devices: readonly T[]): T[] {
  return [...devices].sort((a, b) => outcomeRank(a.outcome) - outcomeRank(b.outcome));
}

export interface OutcomeGroup {
  outcome: string;
  count: number;
  /** Most frequent first. */
  reasons: { reason: string; count: number }[];
}

/** Counts devices by outcome and reason over pages of a report, and keeps the first few devices of each outcome. */
export class OutcomeTally {
  private readonly byOutcome = new Map<string, Map<string, number>>();
  private readonly firstOnes = new Map<string, DeviceReport[]>();

  constructor(private readonly keepPerOutcome = 20) {}

  add(devices: Iterable<DeviceReport>): this {
    for (const device of devices) {
      if (SETTLED_OR_OPEN.has(device.outcome)) continue;
      const reasons = this.byOutcome.get(device.outcome) ?? new Map<string, number>();
      const reason = device.reason ?? '(no reason given)';
      reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
      this.byOutcome.set(device.outcome, reasons);
      const kept = this.firstOnes.get(device.outcome) ?? [];
      if (kept.length < this.keepPerOutcome) kept.push(device);
      this.firstOnes.set(device.outcome, kept);
    }
    return this;
  }

  groups(): OutcomeGroup[] {
    return failuresFirst(
      [...this.byOutcome].map(([outcome, reasons]) => ({
        outcome,
        count: [...reasons.values()].reduce((sum, n) => sum + n, 0),
        reasons: [...reasons]
          .map(([reason, count]) => ({ reason, count }))
          .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason)),
      })),
    );
  }

  /** Up to `limit` devices, failures first. */
  firstDevices(limit: number): DeviceReport[] {
    return failuresFirst([...this.firstOnes.values()].flat()).slice(0, limit);
  }
}

/** Collects a whole report (pages from `ActivationClient.report`) into a tally. */
export async function tallyReport(
  pages: AsyncIterable<DeviceReport[]>,
  keepPerOutcome?: number,
): Promise<OutcomeTally> {
  const tally = new OutcomeTally(keepPerOutcome);
  for await (const page of pages) tally.add(page);
  return tally;
}

/** Indented lines: each outcome with its count, then its reasons (the most frequent `maxReasons`) with theirs. */
export function formatGroups(groups: readonly OutcomeGroup[], indent = '  ', maxReasons = 10): string[] {
  const lines: string[] = [];
  for (const group of groups) {
    lines.push(`${indent}${group.outcome} ${group.count}:`);
    for (const { reason, count } of group.reasons.slice(0, maxReasons))
      lines.push(`${indent}  ${String(count).padStart(6)}  ${reason}`);
    const rest = group.reasons.slice(maxReasons);
    if (rest.length > 0) {
      const devices = rest.reduce((sum, r) => sum + r.count, 0);
      lines.push(`${indent}  ${String(devices).padStart(6)}  (${rest.length} other reasons)`);
    }
  }
  return lines;
}
