/** What the job workflow reports; plain types (the job's output is produced by our own code, not parsed). */
import type { DeviceReport, OutcomeCounts } from './model.js';

export type JobPhase = 'validating' | 'checking' | 'submitting' | 'awaiting-requests' | 'done' | 'cancelled';

export interface JobRequestSummary {
  requestId: string;
  workflowId: string;
  devices: number;
  /**
   * False when an ambiguous activate failure was later found accepted: ThingSpace's requestId is unknown (the ID
   * here is ours), no callback can be routed, and the devices are settled by polling.
   */
  requestIdKnown: boolean;
  /** Set once the request workflow has finished. */
  counts?: OutcomeCounts;
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
