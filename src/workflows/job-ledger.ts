/**
 * The job's book: every device by its index in the job request, the ones the job settled itself (skipped, refused,
 * not submitted), the requests the others went into, and the counts. Pure and deterministic, so the job workflow
 * stays a thin shell around it (as RequestLedger is for the request workflow).
 */
import type { JobRequestSummary } from '../activation/job-result.js';
import type { DeviceReport, RequestResult } from '../activation/model.js';
import type { DeviceId } from '../thingspace/schemas/device-key.js';
import { addCounts, emptyCounts, type OutcomeCounts } from '../activation/outcomes.js';
import { addResultGroups, failuresFirst, GroupTally, type OutcomeGroup } from '../activation/outcome-groups.js';
import type { DeviceRef } from '../activities/types.js';
import { deviceKey } from '../thingspace/schemas/device-key.js';

export type JobSettlement = Omit<DeviceReport, 'key' | 'deviceIds' | 'assignedIds'>;

/** How many requests' IDs go into the `ThingSpaceRequestIds` search attribute (Temporal caps a value at 2 KB). */
export const REQUEST_IDS_IN_SEARCH_ATTRIBUTE = 40;

export class JobLedger {
  readonly refs: DeviceRef[];
  readonly requests: JobRequestSummary[] = [];
  private readonly settledHere = new Map<number, DeviceReport>();
  private readonly inRequests = new Set<number>();
  private readonly requestDevices = new Map<string, number[]>();
  private readonly notActivatedInRequests: DeviceReport[] = [];
  /** A request's result listed only its first devices not activated: the job's list cannot be whole either. */
  private requestListCut = false;
  /** Finished requests' devices not activated, by outcome and reason; undefined once one could not say. */
  private requestGroups: GroupTally | undefined = new GroupTally();
  /** Counts every change to what the ledger reports, so that the job can publish its progress when it moves. */
  private changes = 0;

  constructor(devices: readonly { deviceIds: DeviceId[] }[]) {
    this.refs = devices.map((device) => ({ key: deviceKey(device.deviceIds) ?? '', deviceIds: device.deviceIds }));
  }

  get size(): number {
    return this.refs.length;
  }

  get version(): number {
    return this.changes;
  }

  settle(indexes: Iterable<number>, report: JobSettlement): void {
    this.changes++;
    for (const index of indexes) {
      const ref = this.refs[index];
      if (ref) this.settledHere.set(index, { key: ref.key, deviceIds: ref.deviceIds, assignedIds: [], ...report });
    }
  }

  /** Devices neither settled by the job nor handed to a request, in job order. */
  open(): number[] {
    return this.refs.map((_, i) => i).filter((i) => !this.settledHere.has(i) && !this.inRequests.has(i));
  }

  addRequest(summary: JobRequestSummary, indexes: readonly number[]): void {
    this.changes++;
    this.requests.push(summary);
    this.requestDevices.set(summary.workflowId, [...indexes]);
    for (const i of indexes) this.inRequests.add(i);
  }

  requestFinished(workflowId: string, result: RequestResult): void {
    const summary = this.summary(workflowId);
    if (!summary) return;
    this.changes++;
    summary.counts = result.counts;
    if (result.adoptedRequestId !== undefined) summary.adoptedRequestId = result.adoptedRequestId;
    this.notActivatedInRequests.push(...result.notActivated);
    if (result.notActivatedTruncated) this.requestListCut = true;
    this.requestGroups = addResultGroups(this.requestGroups, result);
  }

  /**
   * A request workflow that failed or was terminated: its devices were submitted, but nobody follows them any more.
   * They are reported unresolved with the reason, by the job (the request's own report may be unreadable).
   */
  requestFailed(workflowId: string, reason: string): void {
    const summary = this.summary(workflowId);
    const indexes = this.requestDevices.get(workflowId) ?? [];
    if (!summary) return;
    summary.failure = reason;
    for (const i of indexes) this.inRequests.delete(i);
    this.settle(indexes, { outcome: 'unresolved', reason: `request workflow ${workflowId} ended: ${reason}` });
  }

  /** Keys of devices the job may let other jobs have: everything except requests that left devices open. */
  releasableKeys(): string[] {
    const held = new Set<number>();
    for (const request of this.requests) {
      const counts = request.counts;
      if (!counts || counts.unresolved > 0 || counts.unconfirmed > 0 || request.failure) {
        for (const i of this.requestDevices.get(request.workflowId) ?? []) held.add(i);
      }
    }
    for (const [i, report] of this.settledHere) if (report.outcome === 'unresolved') held.add(i);
    return this.refs.filter((_, i) => !held.has(i)).map((ref) => ref.key);
  }

  counts(): OutcomeCounts {
    const total = emptyCounts(this.refs.length);
    for (const report of this.settledHere.values()) addCounts(total, { [report.outcome]: 1 });
    for (const request of this.requests) if (request.counts && !request.failure) addCounts(total, request.counts);
    return total;
  }

  requestIdsForSearch(): string[] {
    return this.requests.slice(0, REQUEST_IDS_IN_SEARCH_ATTRIBUTE).map((r) => r.requestId);
  }

  /** The devices the job settled itself, in job order (the rest of the report lives in the request workflows). */
  reportPage(offset: number, limit: number): DeviceReport[] {
    return [...this.settledHere.entries()]
      .sort(([a], [b]) => a - b)
      .slice(offset, offset + limit)
      .map(([, report]) => report);
  }

  /** The first `limit` devices not activated (failures first), and whether there are more than the list holds. */
  notActivated(limit: number): { notActivated: DeviceReport[]; notActivatedTruncated: boolean } {
    const notActivated = failuresFirst(
      [...this.settledHere.values(), ...this.notActivatedInRequests].filter((report) => report.outcome !== 'activated'),
    ).slice(0, limit + 1);
    return {
      notActivated: notActivated.slice(0, limit),
      notActivatedTruncated: this.requestListCut || notActivated.length > limit,
    };
  }

  /**
   * The devices settled so far that were not activated, by outcome and reason: the job's own and its finished
   * requests'. Undefined when a request ended on a worker older than these counts and listed only its first devices.
   */
  notActivatedGroups(): OutcomeGroup[] | undefined {
    if (!this.requestGroups) return undefined;
    return new GroupTally().addGroups(this.requestGroups.groups()).addReports(this.settledHere.values()).groups();
  }

  private summary(workflowId: string): JobRequestSummary | undefined {
    return this.requests.find((r) => r.workflowId === workflowId);
  }
}
