/** What the job workflow reports; plain types (the job's output is produced by our own code, not parsed). */
import type { DeviceReport, OutcomeCounts } from './model.js';

export type JobPhase = 'validating' | 'checking' | 'submitting' | 'awaiting-requests' | 'done' | 'cancelled';

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

export interface JobProgress {
  jobId: string;
  phase: JobPhase;
  counts: OutcomeCounts;
  requests: JobRequestSummary[];
}

/** Small whatever the job's size: counts, the requests, and the first devices not activated. */
export interface JobResult extends JobProgress {
  notActivated: DeviceReport[];
  notActivatedTruncated: boolean;
}
