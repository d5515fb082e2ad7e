/** What the job workflow reports; plain types (the job's output is produced by our own code, not parsed). */
import type { DeviceReport, OutcomeCounts } from './model.js';
import type { OutcomeGroup } from './outcome-groups.js';

export type JobPhase =
  | 'validating'
  | 'staging'
  | 'resolving'
  | 'checking'
  | 'submitting'
  | 'awaiting-requests'
  | 'running-parts'
  | 'done'
  | 'cancelled';

export interface JobRequestSummary {
  requestId: string;
  workflowId: string;
  devices: number;
  /**
   * False when the activate answer was lost: the ID here is ours, and the request workflow watches for signs that
   * ThingSpace took the request (see `adoptedRequestId`).
   */
  requestIdKnown: boolean;
  /** Set once the request workflow has finished. */
  counts?: OutcomeCounts;
  /** For a request whose activate answer was lost: ThingSpace's requestId, once its callbacks revealed it. */
  adoptedRequestId?: string;
  /** Set when the request workflow failed or was terminated; its devices are then reported by the job. */
  failure?: string;
}

/** What a job's group / custom-field selection came to; absent for jobs without one. */
export interface JobSelectionSummary {
  /** Devices the selection resolved to (so far, while `phase` is `resolving`), listed ones included. */
  resolved: number;
  /** Matching NB-IoT devices left out (ThingSpace's group activation is for 4G devices; see `includeNbIot`). */
  excludedNbIot: number;
  /** Resolved devices that were in `devices` too: activated once, as listed. */
  alsoListed: number;
  /** List calls the resolution made. */
  listCalls: number;
}

/**
 * One part of a job whose stored list was longer than a part (DEVICES_PER_PART): a job of its own, child of this
 * one, with its own requests and report. Its workflow ID is `jobId`.
 */
export interface JobPartSummary {
  jobId: string;
  /** Its device list in the store. */
  deviceList: string;
  devices: number;
  /** false until the part job was started; a cancelled job leaves the rest unstarted (their devices skipped). */
  started: boolean;
  /** The part has handed all its devices to ThingSpace (or settled them): the next part may start. */
  submitted: boolean;
  /** Set once the part job has finished. */
  counts?: OutcomeCounts;
  /** Set when the part job failed or was terminated; its devices are counted unresolved. */
  failure?: string;
}

export interface JobProgress {
  jobId: string;
  phase: JobPhase;
  counts: OutcomeCounts;
  requests: JobRequestSummary[];
  selection?: JobSelectionSummary;
  /** Only for a job cut into parts: the parts, in list order (its requests are theirs). */
  parts?: JobPartSummary[];
  /**
   * The devices counted so far that were not activated, by outcome and reason, failures first: the job's own and
   * its finished requests' and parts'; live progress adds the open requests' and parts', their open devices as
   * `pending`. Absent when a request or part ended on a worker older than these counts and listed only its first
   * devices: then only the whole report can say.
   */
  notActivatedGroups?: OutcomeGroup[];
  /**
   * Live progress only (ActivationClient.liveProgress), when above 0: NB-IoT devices already failed whose
   * NiddService callback their open requests still wait for.
   */
  awaitingNidd?: number;
}

/** Small whatever the job's size: counts, the requests, and the first devices not activated. */
export interface JobResult extends JobProgress {
  notActivated: DeviceReport[];
  notActivatedTruncated: boolean;
}

/**
 * Whether the result lists every device the job did not activate, so that what is left over can be taken from it
 * instead of the whole report (minutes at a million devices). Its list is bounded (`notActivatedTruncated`), and a
 * job ended by an older worker may call a list whole that is not (a request that listed only its first 100, parts
 * never started): the counts decide too.
 */
export function listsEveryNotActivated({ counts, notActivated, notActivatedTruncated }: JobResult): boolean {
  return !notActivatedTruncated && notActivated.length === counts.total - counts.activated - counts.pending;
}
