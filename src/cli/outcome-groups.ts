/**
 * What is left to act on after a job, for summaries and `status`: devices not activated, grouped by outcome and
 * reason with counts, failures first. Outcomes are handled by name, so one added later (e.g. `unconfirmed`) is
 * listed without changes here; those not named in NOT_ACTIVATED_ORDER come after the named ones.
 */
import type { DeviceReport } from '../activation/model.js';
import { failuresFirst, GroupTally, NO_REASON, type OutcomeGroup } from '../activation/outcome-groups.js';

/** Not leftovers: done, or not settled yet. */
const SETTLED_OR_OPEN = new Set(['activated', 'pending']);

/** Counts devices by outcome and reason over pages of a report, and keeps the first few devices of each outcome. */
export class OutcomeTally {
  private readonly tally = new GroupTally();
  private readonly firstOnes = new Map<string, DeviceReport[]>();

  constructor(private readonly keepPerOutcome = 20) {}

  add(devices: Iterable<DeviceReport>): this {
    for (const device of devices) {
      if (SETTLED_OR_OPEN.has(device.outcome)) continue;
      this.tally.add(device.outcome, device.reason ?? NO_REASON);
      const kept = this.firstOnes.get(device.outcome) ?? [];
      if (kept.length < this.keepPerOutcome) kept.push(device);
      this.firstOnes.set(device.outcome, kept);
    }
    return this;
  }

  groups(): OutcomeGroup[] {
    return this.tally.groups();
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
