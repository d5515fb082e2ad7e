/**
 * What the request workflow holds and reports, as zod schemas (the single source of truth for these types).
 * Workflow code imports only the types (`import type`), so zod never enters the workflow bundle.
 */
import { z } from 'zod';
import { OUTCOMES, type OutcomeCounts } from './outcomes.js';

export type { Outcome, OutcomeCounts } from './outcomes.js';

export const DeviceIdSchema = z.object({ kind: z.string().min(1), id: z.string().min(1) });
export type DeviceId = z.infer<typeof DeviceIdSchema>;

export const CallbackServiceSchema = z.enum(['CarrierService', 'NiddService']);
export type CallbackService = z.infer<typeof CallbackServiceSchema>;

/**
 * One ThingSpace callback as it travels in a `callbacks` signal: normalised by the webhook, with secrets
 * (the echoed listener password, `deviceCredential.password`) already removed.
 */
export const CallbackRecordSchema = z.object({
  service: CallbackServiceSchema,
  /** The identifiers the callback names the device by; matched against the request case-insensitively. */
  deviceIds: z.array(DeviceIdSchema).min(1),
  success: z.boolean(),
  /** The status exactly as ThingSpace sent it, e.g. `Success`, `Failed`, `ConfigCreated`. */
  status: z.string(),
  reason: z.string().optional(),
  /** Identifiers ThingSpace assigned or echoed (MDN, MSISDN, IMSI, ICCID …). */
  assignedIds: z.array(DeviceIdSchema).default([]),
  ipAddress: z.string().optional(),
  state: z.string().optional(),
  servicePlan: z.string().optional(),
  callbackCount: z.number().int().optional(),
});
export type CallbackRecord = z.infer<typeof CallbackRecordSchema>;

export const ExpectedDeviceSchema = z.object({
  key: z.string().min(1),
  deviceIds: z.array(DeviceIdSchema).min(1),
  /** NB-IoT devices are settled only once their NiddService result is in too. */
  nbIot: z.boolean().optional(),
});
export type ExpectedDevice = z.infer<typeof ExpectedDeviceSchema>;

export const OutcomeSchema = z.enum(OUTCOMES);

export const DeviceReportSchema = z.object({
  key: z.string(),
  deviceIds: z.array(DeviceIdSchema),
  outcome: OutcomeSchema,
  reason: z.string().optional(),
  /** Identifiers and service data ThingSpace returned, merged from the carrier and NIDD results. */
  assignedIds: z.array(DeviceIdSchema).default([]),
  ipAddress: z.string().optional(),
  state: z.string().optional(),
  servicePlan: z.string().optional(),
  /** NB-IoT only: the NIDD configuration's result, beside the line's own outcome (it never changes `outcome`). */
  nidd: z.enum(['success', 'failed']).optional(),
  niddReason: z.string().optional(),
  /** The ThingSpace request that carried the device, when known. */
  requestId: z.string().optional(),
  /** How the outcome was learnt: from a callback, or by polling after the callback wait ran out. */
  source: z.enum(['callback', 'poll']).optional(),
});
export type DeviceReport = z.infer<typeof DeviceReportSchema>;

/** A Temporal duration: milliseconds, or a string such as `12 hours` or `90s`. */
export const DurationSchema = z.union([z.number().int().positive(), z.string().min(1)]);

export const RequestWorkflowInputSchema = z.object({
  requestId: z.string().min(1),
  accountName: z.string().min(1),
  devices: z.array(ExpectedDeviceSchema).min(1).max(10_000),
  /** When the activate request was sent (ISO 8601); polling reads activation history from then on. */
  submittedAt: z.string().min(1),
  /** How long to wait for callbacks before polling; ThingSpace says activations may take up to 12 hours. 0 polls at once. */
  callbackTimeout: z.union([DurationSchema, z.literal(0)]).optional(),
  pollInterval: DurationSchema.optional(),
  pollDeadline: DurationSchema.optional(),
  /**
   * The activate answer was lost (timeout, connection lost after sending, 500): the request may or may not have
   * been taken. The workflow watches for a sign of it over the callback window and never resends anything.
   */
  answerLost: z.boolean().optional(),
  /** History events per run before the workflow continues as new (Temporal warns at 10,240). */
  historyLimit: z.number().int().min(10).optional(),
  /** Set only by the workflow itself when it continues as new. */
  carried: z.custom<RequestCarryOver>().optional(),
});
export type RequestWorkflowInput = z.input<typeof RequestWorkflowInputSchema>;

/** What one device's entry in the ledger holds: the callbacks heard, and the outcome once final. */
export interface LedgerEntryState {
  carrier?: CallbackRecord;
  nidd?: CallbackRecord;
  /** The last non-final carrier status heard (`Pending`, or one we do not know). */
  interim?: CallbackRecord;
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

export const RequestPhaseSchema = z.enum(['awaiting-evidence', 'awaiting-callbacks', 'polling', 'done']);
export type RequestPhase = z.infer<typeof RequestPhaseSchema>;

export interface RequestProgress {
  requestId: string;
  /** For a request whose activate answer was lost: ThingSpace's requestId, once its callbacks revealed it. */
  adoptedRequestId?: string;
  phase: RequestPhase;
  counts: OutcomeCounts;
  /** Callback records applied, ignored as resends, naming no device of this request, or arriving after the end. */
  callbacks: { applied: number; duplicates: number; unknown: number; late: number; signals: number };
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
