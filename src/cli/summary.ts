import { listsEveryNotActivated, type JobResult, type JobSelectionSummary } from '../activation/job-result.js';
import type { DeviceReport } from '../activation/model.js';
import { webUiLink } from './context.js';
import { formatGroups, OutcomeTally, tallyReport } from './outcome-groups.js';

/** What a group / custom-field selection came to, for the summary and `status`. */
export function selectionLine({ resolved, excludedNbIot, alsoListed }: JobSelectionSummary): string {
  return `  selection: ${resolved} devices (${alsoListed} of them also listed), ${excludedNbIot} NB-IoT devices left out`;
}

/** A selection still being resolved: the pages read so far. */
export function resolvingLine({ resolved, excludedNbIot, listCalls }: JobSelectionSummary): string {
  return `  selection so far: ${resolved} devices in ${listCalls} list calls, ${excludedNbIot} NB-IoT devices left out`;
}

const DEVICES_LISTED = 20;

/**
 * The end-of-job summary: counts, what is left to act on grouped by outcome and reason (failures first), and the
 * first devices not activated. The groups come from the result's counts by reason; a result from a worker older
 * than those holds only its first 100 such devices, so when it does not hold them all the groups come from
 * `fullReport` (the paged report), or they would undercount.
 */
export async function printSummary(result: JobResult, fullReport?: AsyncIterable<DeviceReport[]>): Promise<void> {
  const { counts } = result;
  console.log(`\nJob ${result.jobId}: ${result.phase}`);
  console.log(
    `  ${counts.total} devices: ${counts.activated} activated, ${counts.failed} failed, ${counts.skipped} skipped, ${counts.unresolved} unresolved, ${counts.unconfirmed} unconfirmed`,
  );
  if (result.selection) console.log(selectionLine(result.selection));
  if (result.parts) {
    console.log(
      `  ${result.parts.length} parts, each a job with its own requests (thingspace-activation status <part>)`,
    );
  } else {
    console.log(
      `  ${result.requests.length} ThingSpace request(s): ${result.requests.map((r) => r.requestId).join(', ') || '—'}`,
    );
  }
  const tally =
    !result.notActivatedGroups && !listsEveryNotActivated(result) && fullReport
      ? await tallyReport(fullReport, DEVICES_LISTED)
      : new OutcomeTally(DEVICES_LISTED).add(result.notActivated);
  const groups = result.notActivatedGroups ?? tally.groups();
  if (groups.length > 0) {
    console.log('  Not activated, by reason (failures first):');
    for (const line of formatGroups(groups, '    ')) console.log(line);
    const shown = tally.firstDevices(DEVICES_LISTED);
    console.log(`  Not activated (first ${shown.length}, failures first):`);
    for (const device of shown) console.log(`    ${device.key}  ${device.outcome}  ${device.reason ?? ''}`);
  }
  console.log(`  Full report: thingspace-activation report ${result.jobId}`);
  console.log(`  Web UI: ${webUiLink(result.jobId)}`);
}
