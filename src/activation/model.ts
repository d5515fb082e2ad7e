/**
 * What the request workflow holds and reports. Data that crosses a boundary as input (callback records, durations)
 * has a zod schema as its single source of truth; what only workflows produce is a plain type. Workflow code
 * imports only the types (`import type`), so zod never enters the workflow bundle.
 */
import { z } from 'zod';
import type { DeviceId } from '../thingspace/schemas/device-key.js';
import type { Outcome, OutcomeCounts } from './outcomes.js';
import type { OutcomeGroup } from './outcome-groups.js';

export type { Outcome, OutcomeCounts } from './outcomes.js';

/** A device identifier in a callback record: any kind, neither part empty. */
export const RecordDeviceIdSchema = z.object({ kind: z.string().min(1), id: z.string().min(1) });

export const CallbackServiceSchema = z.enum(['CarrierService', 'NiddService']);
export type CallbackService = z.infer<typeof CallbackServiceSchema>;

/**
 * One ThingSpace callback as it travels in a `callbacks` signal: normalised by the webhook, with secrets
 * (the echoed listener password, `deviceCredential.password`) already removed.
 */
export const CallbackRecordSchema = z.object({
  service: CallbackServiceSchema,
  /** The identifiers the callback names the device by; matched against the request case-insensitively. */
  deviceIds: z.array(RecordDeviceIdSchema).min(1),
  success: z.boolean(),
  /** The status exactly as ThingSpace sent it, e.g. `Success`, `Failed`, `ConfigCreated`. */
  status: z.string(),
  reason: z.string().optional(),
  /** Identifiers ThingSpace assigned or echoed (MDN, MSISDN, IMSI, ICCID …). */
  assignedIds: z.array(RecordDeviceIdSchema).default([]),
  ipAddress: z.string().optional(),
  state: z.string().optional(),
  servicePlan: z.string().optional(),
  callbackCount: z.number().int().optional(),
});
export type CallbackRecord = z.infer<typeof CallbackRecordSchema>;

/** One device a request workflow waits for. */
export interface ExpectedDevice {
  key: string;
  /** At least one identifier. */
  deviceIds: DeviceId[];
  /** NB-IoT devices are settled only once their NiddService result is in too. */
  nbIot?: boolean;
}

export interface DeviceReport {
  key: string;
  deviceIds: DeviceId[];
  outcome: Outcome;
  reason?: string;
  /** Identifiers and service data ThingSpace returned, merged from the carrier and NIDD results. */
  assignedIds: DeviceId[];
  ipAddress?: string;
  state?: string;
  servicePlan?: string;
  /** NB-IoT only: the NIDD configuration's result, beside the line's own outcome (it never changes `outcome`). */
  nidd?: 'success' | 'failed';
  niddReason?: string;
  /** The ThingSpace request that carried the device, when known. */
  requestId?: string;
  /** How the outcome was learnt: from a callback, or by polling after the callback wait ran out. */
  source?: 'callback' | 'poll';
}

/** A Temporal duration: milliseconds, or a string such as `12 hours` or `90s`. */
export const DurationSchema = z.union([z.number().int().positive(), z.string().min(1)]);
export type Duration = z.infer<typeof DurationSchema>;

/**
 * A request workflow's input. Only workflows start request workflows (as children), so it is a plain type: no
 * caller's input is parsed against it.
 */
export interface RequestWorkflowInput {
  requestId: string;
  accountName: string;
  /** 1 to 10,000 devices. */
  devices: ExpectedDevice[];
  /** When the activate request was sent (ISO 8601); polling reads activation history from then on. */
  submittedAt: string;
  /** How long to wait for callbacks before polling; ThingSpace says activations may take up to 12 hours. 0 polls at once. */
  callbackTimeout?: Duration | 0;
  pollInterval?: Duration;
  pollDeadline?: Duration;
  /**
   * The activate answer was lost (timeout, connection lost after sending, 500): the request may or may not have
   * been taken. The workflow watches for a sign of it over the callback window and never resends anything.
   */
  answerLost?: boolean;
  /** History events per run before the workflow continues as new (Temporal warns at 10,240); at least 10. */
  historyLimit?: number;
  /**
   * Devices the job that started this request submits, in all its requests together. A poll's minimum of history
   * look-ups is then shared among them by size, so a job cut into small requests looks up about as many devices a
   * poll as one request of all of them would (bench/poll-cost.ts). Absent for requests started before this existed.
   */
  jobDevices?: number;
  /** Set only by the workflow itself when it continues as new. */
  carried?: RequestCarryOver;
}

/** What one device's entry in the ledger holds: the callbacks heard, and the outcome once final. */
/**
 * What a request keeps of a callback: what its report shows. The identifiers it was matched by, the service and
 * the counters are dropped once matched (a device's own identifiers are in its ExpectedDevice); runs before that
 * kept whole records, which still read the same.
 */
export type HeardRecord = Pick<
  CallbackRecord,
  'status' | 'reason' | 'assignedIds' | 'ipAddress' | 'state' | 'servicePlan'
>;

export interface LedgerEntryState {
  carrier?: HeardRecord;
  nidd?: HeardRecord;
  /** The last non-final carrier status heard (`Pending`, or one we do not know). */
  interim?: HeardRecord;
  report?: DeviceReport;
}

/** A request workflow's state handed to its next run: only devices something was heard of. */
export interface RequestCarryOver {
  phase: 'awaiting-evidence' | 'awaiting-callbacks' | 'polling';
  /** Epoch milliseconds, fixed by the first run, so continuing as new never extends a wait. */
  callbackDeadline: number;
  pollDeadline?: number;
  callbacks: RequestProgress['callbacks'];
  ledger: [string, LedgerEntryState][];
  runs: number;
  adoptedRequestId?: string;
  /** Whether a sign that ThingSpace took the request was seen (only meaningful for a lost answer). */
  evidence?: boolean;
}

export type RequestPhase = 'awaiting-evidence' | 'awaiting-callbacks' | 'polling' | 'done';

export interface RequestProgress {
  requestId: string;
  /** For a request whose activate answer was lost: ThingSpace's requestId, once its callbacks revealed it. */
  adoptedRequestId?: string;
  phase: RequestPhase;
  counts: OutcomeCounts;
  /** NB-IoT devices already failed whose NiddService callback the request still waits for (absent when none). */
  awaitingNidd?: number;
  /** Callback records applied, ignored as resends, naming no device of this request, or arriving after the end. */
  callbacks: { applied: number; duplicates: number; unknown: number; late: number; signals: number };
  /**
   * Every device not activated, by outcome and reason, and the open ones as `pending` by what was last heard.
   * Absent from workers older than it (then only the report says).
   */
  notActivatedGroups?: OutcomeGroup[];
}

export interface RequestResult extends RequestProgress {
  /** Failed, skipped and unresolved devices, up to a bound; the full report is paged through the `report` query. */
  notActivated: DeviceReport[];
  notActivatedTruncated: boolean;
}

export interface ReportPageRequest {
  offset: number;
  limit: number;
}
