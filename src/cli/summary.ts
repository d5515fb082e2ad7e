import type { JobResult, JobSelectionSummary } from '../activation/job-result.js';
import { webUiLink } from './context.js';

/** What a group / custom-field selection came to, for the summary and `status`. */
export function selectionLine({ resolved, excludedNbIot, alsoListed }: JobSelectionSummary): string {
  return `  selection: ${resolved} devices (${alsoListed} of them also listed), ${excludedNbIot} NB-IoT devices left out`;
}

export function printSummary(result: JobResult): void {
  const { counts } = result;
  console.log(`\nJob ${result.jobId}: ${result.phase}`);
  console.log(
    `  ${counts.total} devices: ${counts.activated} activated, ${counts.failed} failed, ${counts.skipped} skipped, ${counts.unresolved} unresolved, ${counts.unconfirmed} unconfirmed`,
  );
  if (result.selection) console.log(selectionLine(result.selection));
  console.log(
    `  ${result.requests.length} ThingSpace request(s): ${result.requests.map((r) => r.requestId).join(', ') || '—'}`,
  );
  if (result.notActivated.length > 0) {
    console.log(`  Not activated${result.notActivatedTruncated ? ' (first ones)' : ''}:`);
    // Failures first: they are what someone has to act on.
    const order = { failed: 0, unconfirmed: 1, unresolved: 2, skipped: 3, activated: 4 };
    const shown = [...result.notActivated].sort((a, b) => order[a.outcome] - order[b.outcome]).slice(0, 20);
    for (const device of shown) {
      console.log(`    ${device.key}  ${device.outcome}  ${device.reason ?? ''}`);
    }
  }
  console.log(`  Full report: thingspace-activation report ${result.jobId}`);
  console.log(`  Web UI: ${webUiLink(result.jobId)}`);
}
