/**
 * The job workflow: Verizon's best-practice activation for any number of devices (ID = the caller's job key, so
 * the same job cannot run twice). Validate → check states → submit requests of ≤ 10,000 devices through the
 * rate-limited task queue → one request workflow per ThingSpace request → the report.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  defineQuery,
  isCancellation,
  log,
  ParentClosePolicy,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
  type ChildWorkflowHandle,
} from '@temporalio/workflow';
import type { JobRequestInput } from '../activation/job.js';
import type { DeviceReport, OutcomeCounts, ReportPageRequest, RequestResult } from '../activation/model.js';
import type { JobPhase, JobProgress, JobRequestSummary, JobResult } from '../activation/job-result.js';
import { HEARTBEAT_TIMEOUT } from '../activation/activity-timing.js';
import type { Activities, SubmitActivities } from '../activities/index.js';
import type { DeviceRef, SubmitActivationResult } from '../activities/types.js';
import {
  ActivationPhase,
  DeviceCount,
  DevicesActivated,
  DevicesFailed,
  ThingSpaceAccount,
  ThingSpaceRequestIds,
} from '../search-attributes.js';
import { submitTaskQueue } from '../task-queues.js';
import { deviceKey } from '../thingspace/schemas/device-key.js';
import { MAX_DEVICES_PER_ACTIVATE } from '../thingspace/schemas/limits.js';
import { activationRequest, REPORT_PAGE_LIMIT, requestWorkflowId } from './request.js';

export const jobProgressQuery = defineQuery<JobProgress>('progress');
/** Devices the job settled itself (skipped, refused): the rest of the report lives in the request workflows. */
export const jobReportQuery = defineQuery<DeviceReport[], [ReportPageRequest]>('report');

const MAX_SUBMIT_ATTEMPTS = 20;
const NOT_ACTIVATED_IN_RESULT = 100;
const DEFAULT_AMBIGUOUS_RECHECK_DELAY = '2 minutes';

const { validateJobRequest } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 3 },
});

const { checkDevices, recheckDevices } = proxyActivities<Activities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: HEARTBEAT_TIMEOUT,
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10 },
});

/** Cancelling the job stops new submissions; an activate call already under way is let finish. */
function cancelRequested(): boolean {
  return CancellationScope.current().consideredCancelled;
}

export async function activationJob(input: JobRequestInput): Promise<JobResult> {
  const { taskQueue } = workflowInfo();
  const options = input.options ?? {};
  // A single attempt: Temporal must never resend a POST that may have been accepted (see submitActivation).
  const { submitActivation } = proxyActivities<SubmitActivities>({
    taskQueue: submitTaskQueue(taskQueue),
    startToCloseTimeout: '5 minutes',
    heartbeatTimeout: HEARTBEAT_TIMEOUT,
    retry: { maximumAttempts: 1 },
  });

  let phase: JobPhase = 'validating';
  /** Devices settled by the job itself (skipped, refused), by index into `input.devices`. */
  const settledHere = new Map<number, DeviceReport>();
  const inRequests = new Set<number>();
  const requests: JobRequestSummary[] = [];
  const notActivatedInRequests: DeviceReport[] = [];
  const children: Promise<void>[] = [];
  let cancelled = false;

  const refs: DeviceRef[] = input.devices.map((device) => ({
    key: deviceKey(device.deviceIds) ?? '',
    deviceIds: device.deviceIds,
  }));
  const enterPhase = (next: JobPhase) => {
    phase = next;
    upsertSearchAttributes([{ key: ActivationPhase, value: phase }]);
  };
  const settle = (index: number, report: Omit<DeviceReport, 'key' | 'deviceIds' | 'assignedIds'>) => {
    const ref = refs[index];
    if (ref) settledHere.set(index, { key: ref.key, deviceIds: ref.deviceIds, assignedIds: [], ...report });
  };
  const counts = (): OutcomeCounts => {
    const total: OutcomeCounts = { total: refs.length, activated: 0, failed: 0, skipped: 0, unresolved: 0, pending: 0 };
    for (const report of settledHere.values()) total[report.outcome]++;
    for (const request of requests) {
      if (!request.counts) continue;
      for (const outcome of ['activated', 'failed', 'skipped', 'unresolved'] as const)
        total[outcome] += request.counts[outcome];
    }
    total.pending = total.total - total.activated - total.failed - total.skipped - total.unresolved;
    return total;
  };
  const progress = (): JobProgress => ({ jobId: input.jobId, phase, counts: counts(), requests });

  setHandler(jobProgressQuery, progress);
  setHandler(jobReportQuery, ({ offset, limit }) =>
    [...settledHere.entries()]
      .sort(([a], [b]) => a - b)
      .slice(Math.max(0, offset), Math.max(0, offset) + Math.min(Math.max(0, limit), REPORT_PAGE_LIMIT))
      .map(([, report]) => report),
  );

  upsertSearchAttributes([
    { key: ActivationPhase, value: phase },
    { key: DeviceCount, value: refs.length },
    { key: ThingSpaceAccount, value: input.accountName },
  ]);
  await validateJobRequest(input).catch((err: unknown) => {
    // Fail the job with the validation failure itself, so callers read the field-by-field message directly.
    throw err instanceof ActivityFailure && err.cause instanceof ApplicationFailure ? err.cause : err;
  });

  const requestOptions = {
    pollInterval: options.pollInterval,
    pollDeadline: options.pollDeadline,
  };
  const startRequest = async (requestId: string, indexes: number[], submittedAt: string, pollAtOnce: boolean) => {
    const summary: JobRequestSummary = {
      requestId,
      workflowId: requestWorkflowId(requestId),
      devices: indexes.length,
      requestIdKnown: !pollAtOnce,
    };
    requests.push(summary);
    for (const i of indexes) inRequests.add(i);
    const handle: ChildWorkflowHandle<typeof activationRequest> = await startChild(activationRequest, {
      workflowId: summary.workflowId,
      // The request outlives a cancelled job: ThingSpace goes on activating what it accepted.
      parentClosePolicy: ParentClosePolicy.ABANDON,
      args: [
        {
          requestId,
          accountName: input.accountName,
          submittedAt,
          devices: indexes.map((i) => ({ ...refs[i]!, ...(input.devices[i]?.nbIot && { nbIot: true }) })),
          callbackTimeout: pollAtOnce ? 0 : (options.callbackTimeout ?? undefined),
          ...requestOptions,
        },
      ],
    });
    upsertSearchAttributes([{ key: ThingSpaceRequestIds, value: requests.map((r) => r.requestId) }]);
    children.push(
      handle.result().then((result: RequestResult) => {
        summary.counts = result.counts;
        notActivatedInRequests.push(...result.notActivated);
      }),
    );
  };

  /** Sends one chunk until ThingSpace accepted or refused every device in it; never resends an accepted device. */
  const submit = async (chunk: number[], chunkNumber: number) => {
    let pending = chunk;
    for (let attempt = 1; pending.length > 0; attempt++) {
      const submittedAt = new Date().toISOString();
      const outcome = await CancellationScope.nonCancellable(() =>
        submitActivation({
          accountName: input.accountName,
          settings: input.activation,
          devices: pending.map((i) => {
            const { nbIot: _nbIot, ...device } = input.devices[i]!;
            return device;
          }),
        }).catch((err: unknown): SubmitActivationResult => ({
          kind: 'ambiguous',
          errorMessage: `activate activity failed: ${err instanceof Error ? err.message : String(err)}`,
        })),
      );
      switch (outcome.kind) {
        case 'accepted':
          await CancellationScope.nonCancellable(() => startRequest(outcome.requestId, pending, submittedAt, false));
          return;
        case 'refused':
          for (const i of pending) {
            settle(i, {
              outcome: 'failed',
              reason: `activate refused${outcome.errorCode ? ` (${outcome.errorCode})` : ''}: ${outcome.errorMessage}`,
            });
          }
          return;
        case 'retry':
          if (attempt >= MAX_SUBMIT_ATTEMPTS) {
            for (const i of pending)
              settle(i, {
                outcome: 'failed',
                reason: `activate not accepted after ${attempt} attempts: ${outcome.errorMessage}`,
              });
            return;
          }
          await sleep(Math.max(outcome.retryAfterMs ?? 0, Math.min(1_000 * 2 ** (attempt - 1), 60_000)));
          break;
        case 'ambiguous': {
          log.warn('ambiguous activate failure; re-checking device states before any resend', {
            chunkNumber,
            error: outcome.errorMessage,
          });
          await sleep(options.ambiguousRecheckDelay ?? DEFAULT_AMBIGUOUS_RECHECK_DELAY);
          const { submitted } = await recheckDevices({
            accountName: input.accountName,
            devices: pending.map((i) => refs[i]!),
            submittedAt,
          });
          const accepted = submitted.map((position) => pending[position]!);
          if (accepted.length > 0) {
            // ThingSpace took them but we never learnt the requestId, so no callback can be routed: poll at once.
            const syntheticId = `${input.jobId}-unknown-${chunkNumber}-${attempt}`;
            await CancellationScope.nonCancellable(() => startRequest(syntheticId, accepted, submittedAt, true));
          }
          const acceptedSet = new Set(accepted);
          pending = pending.filter((i) => !acceptedSet.has(i));
          break;
        }
      }
    }
  };

  try {
    enterPhase('checking');
    const check = await checkDevices({ accountName: input.accountName, devices: refs });
    for (const i of check.alreadyActive) settle(i, { outcome: 'skipped', reason: 'already active', state: 'active' });
    for (const i of check.notInAccount) settle(i, { outcome: 'skipped', reason: 'not in account' });
    for (const { index, state } of check.ineligible)
      settle(index, { outcome: 'skipped', reason: `ineligible state: ${state}`, state });

    enterPhase('submitting');
    const ready = refs.map((_, i) => i).filter((i) => !settledHere.has(i));
    const size = options.maxDevicesPerRequest ?? MAX_DEVICES_PER_ACTIVATE;
    for (let offset = 0, n = 1; offset < ready.length && !cancelRequested(); offset += size, n++) {
      await submit(ready.slice(offset, offset + size), n);
    }
    cancelled = cancelRequested();
    if (!cancelled) {
      enterPhase('awaiting-requests');
      // Children were started in non-cancellable scopes, so their results ignore cancellation: race it explicitly.
      await Promise.race([Promise.all(children), CancellationScope.current().cancelRequested]);
    }
  } catch (err) {
    if (!isCancellation(err)) throw err;
    cancelled = true;
  }

  return CancellationScope.nonCancellable(async () => {
    if (cancelled) {
      for (let i = 0; i < refs.length; i++) {
        if (!settledHere.has(i) && !inRequests.has(i)) {
          settle(i, { outcome: 'skipped', reason: 'job cancelled before submission' });
        }
      }
    }
    enterPhase(cancelled ? 'cancelled' : 'done');
    const final = counts();
    upsertSearchAttributes([
      { key: DevicesActivated, value: final.activated },
      { key: DevicesFailed, value: final.failed },
    ]);
    const notActivated = [...settledHere.values(), ...notActivatedInRequests];
    return {
      ...progress(),
      notActivated: notActivated.slice(0, NOT_ACTIVATED_IN_RESULT),
      notActivatedTruncated: notActivated.length > NOT_ACTIVATED_IN_RESULT,
    };
  });
}
