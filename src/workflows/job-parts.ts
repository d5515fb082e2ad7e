/**
 * A job whose stored list is longer than one part: it is cut into part jobs of DEVICES_PER_PART devices (the stage
 * activity wrote each part's list to the store), run as child jobs, at most PARTS_IN_FLIGHT of them checking or
 * submitting at once. The parent holds no device: only the parts' counts and the first devices not activated, so
 * its history and memory stay small at 1,000,000 devices. Workflow code: deterministic.
 */
import {
  CancellationScope,
  condition,
  defineSignal,
  isCancellation,
  ParentClosePolicy,
  patched,
  setHandler,
  startChild,
} from '@temporalio/workflow';
import type { JobRequestInput } from '../activation/job.js';
import type { JobPartSummary, JobResult } from '../activation/job-result.js';
import type { DeviceReport } from '../activation/model.js';
import { LEGACY_PARTS_IN_FLIGHT, PARTS_IN_FLIGHT } from '../activation/job-limits.js';
import { addCounts, emptyCounts, type OutcomeCounts } from '../activation/outcomes.js';
import { addResultGroups, failuresFirst, GroupTally, type OutcomeGroup } from '../activation/outcome-groups.js';
import type { DeviceListPart } from '../activities/stage-device-list.js';

/** Sent by a part job once all its devices are with ThingSpace or settled, so that the next part may start. */
export const partSubmittedSignal = defineSignal<[string]>('partSubmitted');

/** `~` is not allowed in a caller's job ID, so a part's ID never collides with a job of its own. */
export function partJobId(jobId: string, part: number): string {
  return `${partPrefix(jobId)}${part}`;
}

/** Whether `workflowId` names one of `jobId`'s part jobs. */
export function isPartJobOf(workflowId: string, jobId: string): boolean {
  return workflowId.startsWith(partPrefix(jobId));
}

function partPrefix(jobId: string): string {
  return `${jobId}~part-`;
}

export class JobParts {
  readonly parts: JobPartSummary[];
  private notActivatedInParts: DeviceReport[] = [];
  private truncated = false;
  /** Finished and failed parts' devices not activated, by outcome and reason; undefined once one could not say. */
  private groups: GroupTally | undefined = new GroupTally();

  constructor(
    jobId: string,
    staged: readonly DeviceListPart[],
    private readonly keepNotActivated: number,
  ) {
    this.parts = staged.map((part, i) => ({
      jobId: partJobId(jobId, i + 1),
      deviceList: part.deviceList,
      devices: part.devices,
      started: false,
      submitted: false,
    }));
  }

  inFlight(): number {
    return this.parts.filter((p) => p.started && !p.submitted && !p.counts && !p.failure).length;
  }

  submitted(jobId: string): void {
    const part = this.part(jobId);
    if (part) part.submitted = true;
  }

  finished(jobId: string, result: JobResult): void {
    const part = this.part(jobId);
    if (!part) return;
    part.counts = result.counts;
    part.submitted = true;
    this.truncated ||= result.notActivatedTruncated;
    this.groups = addResultGroups(this.groups, result);
    // Each part lists its failures first: merged, the most urgent of all parts stay.
    const merged = failuresFirst([...this.notActivatedInParts, ...result.notActivated]);
    if (merged.length > this.keepNotActivated) this.truncated = true;
    this.notActivatedInParts = merged.slice(0, this.keepNotActivated);
  }

  failed(jobId: string, reason: string): void {
    const part = this.part(jobId);
    if (!part) return;
    part.failure = reason;
    part.submitted = true;
    this.truncated = true;
    this.groups?.add('unresolved', failedPartReason(jobId, reason), part.devices);
  }

  /** Finished parts as they reported; failed parts unresolved; parts never started skipped once the job is over. */
  counts(over: boolean): OutcomeCounts {
    const total = emptyCounts(this.parts.reduce((n, p) => n + p.devices, 0));
    for (const part of this.parts) {
      if (part.counts) addCounts(total, part.counts);
      else if (part.failure) addCounts(total, { unresolved: part.devices });
      else if (isSkipped(part, over)) addCounts(total, { skipped: part.devices });
    }
    return total;
  }

  /**
   * The first devices not activated, and whether there are more: a failed part's devices and, once over, those of
   * parts never started are counted (see counts) but not listed.
   */
  notActivated(over: boolean): { notActivated: DeviceReport[]; notActivatedTruncated: boolean } {
    const skippedParts = this.parts.some((part) => isSkipped(part, over));
    return { notActivated: [...this.notActivatedInParts], notActivatedTruncated: this.truncated || skippedParts };
  }

  /**
   * The finished parts' devices not activated by outcome and reason, failed parts' as unresolved and, once the job
   * is over, those of parts never started as skipped; undefined when a part's result could not say (see
   * addResultGroups).
   */
  notActivatedGroups(over: boolean): OutcomeGroup[] | undefined {
    if (!this.groups) return undefined;
    const tally = new GroupTally().addGroups(this.groups.groups());
    for (const part of this.parts)
      if (isSkipped(part, over)) tally.add('skipped', CANCELLED_BEFORE_SUBMISSION, part.devices);
    return tally.groups();
  }

  private part(jobId: string): JobPartSummary | undefined {
    return this.parts.find((p) => p.jobId === jobId);
  }
}

/**
 * Starts the parts in order, each once fewer than PARTS_IN_FLIGHT are still checking or submitting, and waits for
 * all that were started. Cancellation stops new parts (their devices were never sent) and reaches the started
 * ones, which settle as any cancelled job does; their results are still awaited.
 */
export async function runJobParts(
  input: JobRequestInput,
  state: JobParts,
  describeError: (err: unknown) => string,
): Promise<{ cancelled: boolean }> {
  setHandler(partSubmittedSignal, (jobId) => state.submitted(jobId));
  // A part names its own list only: a selection's devices (and the listed ones) are in it already.
  const { deviceList: _list, selection: _selection, devices: _devices, ...same } = input;
  const running: Promise<void>[] = [];
  const inFlight = patched('two-parts-in-flight') ? PARTS_IN_FLIGHT : LEGACY_PARTS_IN_FLIGHT;
  try {
    for (const part of state.parts) {
      await condition(() => state.inFlight() < inFlight);
      const handle = await startChild('activationJob', {
        workflowId: part.jobId,
        parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
        args: [{ ...same, jobId: part.jobId, deviceList: part.deviceList }],
      });
      part.started = true;
      running.push(
        handle.result().then(
          (result) => state.finished(part.jobId, result as JobResult),
          (err: unknown) => state.failed(part.jobId, describeError(err)),
        ),
      );
    }
  } catch (err) {
    if (!isCancellation(err)) throw err;
  }
  // A cancelled part ends as a job does (its result says what was sent), so its result is awaited either way.
  await CancellationScope.nonCancellable(() => Promise.all(running));
  return { cancelled: CancellationScope.current().consideredCancelled };
}

/** Why a failed part's devices are unresolved (the client's report says the same). */
export function failedPartReason(partJobId: string, failure: string): string {
  return `part job ${partJobId} ended: ${failure}`;
}

/** Why the devices a cancelled job never sent are skipped, in a part never started or not. */
export const CANCELLED_BEFORE_SUBMISSION = 'job cancelled before submission';

/** A part never started, once the job is over: its devices count as skipped, and no part result lists them. */
function isSkipped(part: JobPartSummary, over: boolean): boolean {
  return over && !part.started && !part.counts && !part.failure;
}
