/**
 * The job workflow: Verizon's best-practice activation for any number of devices (ID = the caller's job key, so
 * the same job cannot run twice). Validate → check states → claim the devices for this job (so no other job of the
 * account submits them too) → submit requests of ≤ 10,000 devices through the rate-limited task queue → one request
 * workflow per ThingSpace request → the report. The state lives in JobLedger; this is the thin shell around it.
 */
import { msToNumber } from '@temporalio/common';
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  defineQuery,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  ParentClosePolicy,
  patched,
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
import type { DeviceReport, ExpectedDevice, ReportPageRequest, RequestResult } from '../activation/model.js';
import type {
  JobPhase,
  JobProgress,
  JobRequestSummary,
  JobResult,
  JobSelectionSummary,
} from '../activation/job-result.js';
import { HEARTBEAT_TIMEOUT } from '../activation/activity-timing.js';
import { PROGRESS_MEMO, publishedJobProgress } from '../activation/progress-memo.js';
import type { Activities, SubmitActivities } from '../activities/index.js';
import type { SubmitActivationResult } from '../activities/types.js';
import {
  ActivationPhase,
  DeviceCount,
  ThingSpaceAccount,
  ThingSpaceRequestIds,
  finalCountAttributes,
} from '../search-attributes.js';
import { submitTaskQueue } from '../task-queues.js';
import { MAX_DEVICES_PER_ACTIVATE } from '../thingspace/schemas/limits.js';
import { devicesPerPart } from '../activation/job-limits.js';
import { JobLedger } from './job-ledger.js';
import { memoOnChange } from './memo-on-change.js';
import { CANCELLED_BEFORE_SUBMISSION, JobParts, partSubmittedSignal, runJobParts } from './job-parts.js';
import { resolveJobSelection, type JobDeviceInput } from './job-selection.js';
import {
  activationRequest,
  DEFAULT_CALLBACK_TIMEOUT,
  DEFAULT_POLL_DEADLINE,
  REPORT_QUERY_LIMIT,
  requestWorkflowId,
} from './request.js';

export const jobProgressQuery = defineQuery<JobProgress>('progress');
/** Devices the job settled itself (skipped, refused): the rest of the report lives in the request workflows. */
export const jobReportQuery = defineQuery<DeviceReport[], [ReportPageRequest]>('report');

const MAX_SUBMIT_ATTEMPTS = 20;
const NOT_ACTIVATED_IN_RESULT = 100;
/** Only for jobs started before the lost-answer watch (the `answer-lost-watch` patch). */
const LEGACY_AMBIGUOUS_RECHECK_DELAY = '2 minutes';

const { validateJobRequest } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 3 },
});

const {
  checkDevices,
  recheckDevices,
  claimDevices,
  releaseDevices,
  resolveSelection,
  stageDeviceList,
  storeSelection,
} = proxyActivities<Activities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: HEARTBEAT_TIMEOUT,
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10 },
});

/** A device as the activate call takes it: without `nbIot`, and not copied when it has none (most devices). */
function activateDevice(device: JobDeviceInput): Omit<JobDeviceInput, 'nbIot'> {
  if (!('nbIot' in device)) return device;
  const { nbIot: _nbIot, ...rest } = device;
  return rest;
}

/** Cancelling the job stops new submissions; an activate call already under way is let finish. */
function cancelRequested(): boolean {
  return CancellationScope.current().consideredCancelled;
}

/** The message and its causes (a child's failure says "Child Workflow execution failed"; its cause says why). */
function describeError(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err; e instanceof Error && parts.length < 4; e = e.cause) parts.push(e.message);
  return parts.join(': ') || String(err);
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

  // The listed devices; a selection adds its devices once resolved (then the ledger is built afresh, before any check).
  let devices: JobDeviceInput[] = input.devices ?? [];
  let ledger = new JobLedger(devices);
  let { refs } = ledger;
  const selection: JobSelectionSummary | undefined = input.selection
    ? { resolved: 0, excludedNbIot: 0, alsoListed: 0, listCalls: 0 }
    : undefined;
  let phase: JobPhase = 'validating';
  const children: Promise<void>[] = [];
  let cancelled = false;
  /** Only for a stored list longer than one part: the job then runs part jobs and holds no device itself. */
  let parts: JobParts | undefined;

  const enterPhase = (next: JobPhase) => {
    phase = next;
    upsertSearchAttributes([{ key: ActivationPhase, value: phase }]);
  };
  const progress = (): JobProgress => {
    const over = phase === 'done' || phase === 'cancelled';
    const notActivatedGroups = parts ? parts.notActivatedGroups(over) : ledger.notActivatedGroups();
    return {
      jobId: input.jobId,
      phase,
      ...(parts
        ? { counts: parts.counts(over), requests: [], parts: parts.parts }
        : { counts: ledger.counts(), requests: ledger.requests }),
      ...(selection && { selection: { ...selection } }),
      ...(notActivatedGroups && { notActivatedGroups }),
    };
  };

  setHandler(jobProgressQuery, progress);
  setHandler(jobReportQuery, ({ offset, limit }) =>
    ledger.reportPage(Math.max(0, offset), Math.min(Math.max(0, limit), REPORT_QUERY_LIMIT)),
  );

  // Runs started before this patch published nothing: `status` asked each open part of a big job, a replay of it
  // when the worker had not cached it. A job with parts, or with many requests, publishes only its phase (what it
  // would list does not fit in a memo) and is asked.
  if (patched('progress-memo')) {
    const upsertOnChange = memoOnChange();
    void CancellationScope.nonCancellable(async () => {
      for (;;) {
        const seen = { ledger, version: ledger.version, phase };
        const job = { phase, requests: ledger.requests.length, parts: !!parts };
        upsertOnChange({ [PROGRESS_MEMO]: publishedJobProgress(job, progress) });
        await condition(() => ledger !== seen.ledger || ledger.version !== seen.version || phase !== seen.phase);
      }
    });
  }

  upsertSearchAttributes([
    { key: ActivationPhase, value: phase },
    { key: DeviceCount, value: refs.length },
    { key: ThingSpaceAccount, value: input.accountName },
  ]);
  // Fail the job with a validation failure itself, so callers read the field-by-field message directly.
  const unwrap = (err: unknown) => {
    throw err instanceof ActivityFailure && err.cause instanceof ApplicationFailure ? err.cause : err;
  };
  await validateJobRequest(input).catch(unwrap);

  /**
   * Stages a stored list (the request's own, or the one a selection was written to): a list of one part comes back
   * as the job's devices (then undefined); a longer one runs as part jobs, and their result is the job's.
   */
  const runStoredList = async (deviceList: string): Promise<JobResult | undefined> => {
    enterPhase('staging');
    // Not cancellable: a job cancelled while staging then settles its devices (skipped) like any cancelled job,
    // instead of ending with nothing to report.
    const staged = await CancellationScope.nonCancellable(() =>
      stageDeviceList({
        jobId: input.jobId,
        deviceList,
        carrierIpPoolName: input.activation.carrierIpPoolName,
        // Smaller parts for small requests, so that no part sends more than MAX_REQUESTS_PER_JOB of them.
        partSize: devicesPerPart(options.maxDevicesPerRequest),
      }),
    ).catch(unwrap);
    upsertSearchAttributes([{ key: DeviceCount, value: staged.total }]);
    if ('parts' in staged) {
      parts = new JobParts(input.jobId, staged.parts, NOT_ACTIVATED_IN_RESULT);
      enterPhase('running-parts');
      const run = await runJobParts(input, parts, describeError);
      return CancellationScope.nonCancellable(async () => {
        enterPhase(run.cancelled ? 'cancelled' : 'done');
        const final = progress();
        upsertSearchAttributes(finalCountAttributes(final.counts));
        return { ...final, ...parts!.notActivated(true) };
      });
    }
    devices = staged.devices;
    ledger = new JobLedger(devices);
    refs = ledger.refs;
    return undefined;
  };
  if (input.deviceList !== undefined) {
    const result = await runStoredList(input.deviceList);
    if (result) return result;
  }

  /** Devices the check found NB-IoT though the job did not say so: ThingSpace owes them a NiddService callback. */
  const listedNbIot = new Set<number>();
  const requestOptions = {
    pollInterval: options.pollInterval,
    pollDeadline: options.pollDeadline,
  };
  /**
   * A request workflow's device. Built by assignment, as it runs for every device (and again on every replay): the
   * bundle turns spreads into helper calls that cost about 5 µs a device (bench, 200,000-device job's profile).
   */
  const expectedDevice = (i: number): ExpectedDevice => {
    const { key, deviceIds } = refs[i]!;
    const device: ExpectedDevice = { key, deviceIds };
    if (devices[i]?.nbIot || listedNbIot.has(i)) device.nbIot = true;
    return device;
  };

  /** Devices the job hands to ThingSpace, over all its requests (its requests share a poll's history look-ups). */
  let submitting = 0;
  const startRequest = async (requestId: string, indexes: number[], submittedAt: string, answerLost: boolean) => {
    const summary: JobRequestSummary = {
      requestId,
      workflowId: requestWorkflowId(requestId),
      devices: indexes.length,
      requestIdKnown: !answerLost,
    };
    ledger.addRequest(summary, indexes);
    const handle: ChildWorkflowHandle<typeof activationRequest> = await startChild(activationRequest, {
      workflowId: summary.workflowId,
      // The request outlives a cancelled job: ThingSpace goes on activating what it accepted.
      parentClosePolicy: ParentClosePolicy.ABANDON,
      args: [
        {
          requestId,
          accountName: input.accountName,
          submittedAt,
          devices: indexes.map(expectedDevice),
          callbackTimeout: options.callbackTimeout ?? undefined,
          ...(answerLost && { answerLost: true }),
          // Jobs started before share nothing: each of their requests keeps the whole minimum.
          ...(patched('history-share') && { jobDevices: submitting }),
          ...requestOptions,
        },
      ],
    });
    upsertSearchAttributes([{ key: ThingSpaceRequestIds, value: ledger.requestIdsForSearch() }]);
    children.push(
      handle.result().then(
        (result: RequestResult) => ledger.requestFinished(summary.workflowId, result),
        // A failed or terminated request must not take the job down with it: everyone else's results still count.
        (err: unknown) => ledger.requestFailed(summary.workflowId, describeError(err)),
      ),
    );
  };

  /** Sends one chunk until ThingSpace took it, refused it, or it may have taken it; never resends a taken chunk. */
  const submit = async (chunk: number[], chunkNumber: number) => {
    let pending = chunk;
    let refusals = 0;
    for (let attempt = 1; pending.length > 0; attempt++) {
      const submittedAt = new Date().toISOString();
      const outcome = await CancellationScope.nonCancellable(() =>
        submitActivation({
          accountName: input.accountName,
          settings: input.activation,
          devices: pending.map((i) => activateDevice(devices[i]!)),
        }).catch((err: unknown): SubmitActivationResult => ({
          kind: 'ambiguous',
          errorMessage: `activate activity failed: ${describeError(err)}`,
        })),
      );
      switch (outcome.kind) {
        case 'accepted':
          await CancellationScope.nonCancellable(() => startRequest(outcome.requestId, pending, submittedAt, false));
          return;
        case 'refused':
          ledger.settle(pending, {
            outcome: 'failed',
            reason: `activate refused${outcome.errorCode ? ` (${outcome.errorCode})` : ''}: ${outcome.errorMessage}`,
          });
          return;
        case 'retry':
          // Refusals count toward the bound; failures before anything was sent (a blocked login waiting for an
          // operator, say) never turn into device failures.
          if (!outcome.notSent) refusals++;
          if (refusals >= MAX_SUBMIT_ATTEMPTS) {
            ledger.settle(pending, {
              outcome: 'failed',
              reason: `not submitted: ThingSpace refused the request ${refusals} times; last: ${outcome.errorMessage}`,
            });
            return;
          }
          await sleep(Math.max(outcome.retryAfterMs ?? 0, Math.min(1_000 * 2 ** (attempt - 1), 60_000)));
          break;
        case 'ambiguous':
          log.warn('activate answer lost; watching for signs of the request, never resending', {
            chunkNumber,
            error: outcome.errorMessage,
          });
          if (patched('answer-lost-watch')) {
            // The chunk is one unit: ThingSpace took all of it or none. Its request workflow watches for evidence
            // over the whole activation window and reports `unconfirmed` if none comes; nothing is resent.
            await CancellationScope.nonCancellable(() =>
              startRequest(`${input.jobId}-lost-${chunkNumber}`, pending, submittedAt, true),
            );
            return;
          }
          pending = await legacyRecheck(pending, submittedAt, `${input.jobId}-unknown-${chunkNumber}-${attempt}`);
          break;
      }
    }
  };

  /** Jobs recorded before the lost-answer watch re-checked after a delay and resent what showed no evidence. */
  const legacyRecheck = async (pending: number[], submittedAt: string, syntheticId: string) => {
    await sleep(options.ambiguousRecheckDelay ?? LEGACY_AMBIGUOUS_RECHECK_DELAY);
    const { submitted } = await recheckDevices({
      accountName: input.accountName,
      devices: pending.map((i) => refs[i]!),
      submittedAt,
    });
    const accepted = submitted.map((position) => pending[position]!);
    if (accepted.length > 0) {
      await CancellationScope.nonCancellable(async () => {
        ledger.addRequest(
          {
            requestId: syntheticId,
            workflowId: requestWorkflowId(syntheticId),
            devices: accepted.length,
            requestIdKnown: false,
          },
          accepted,
        );
        const handle = await startChild(activationRequest, {
          workflowId: requestWorkflowId(syntheticId),
          parentClosePolicy: ParentClosePolicy.ABANDON,
          args: [
            {
              requestId: syntheticId,
              accountName: input.accountName,
              submittedAt,
              devices: accepted.map(expectedDevice),
              callbackTimeout: 0,
              ...requestOptions,
            },
          ],
        });
        upsertSearchAttributes([{ key: ThingSpaceRequestIds, value: ledger.requestIdsForSearch() }]);
        children.push(
          handle.result().then(
            (result: RequestResult) => ledger.requestFinished(requestWorkflowId(syntheticId), result),
            (err: unknown) => ledger.requestFailed(requestWorkflowId(syntheticId), describeError(err)),
          ),
        );
      });
    }
    const acceptedSet = new Set(accepted);
    return pending.filter((i) => !acceptedSet.has(i));
  };

  const claims = { used: false, until: 0 };
  try {
    // Only jobs with a selection take this branch: jobs without one issue exactly the commands they always did.
    if (input.selection && selection) {
      enterPhase('resolving');
      if (patched('selection-staged')) {
        // Written to the store and staged like a stored list, so a selection of up to MAX_DEVICES_PER_LIST devices
        // runs in parts and the job never holds more than one part of it.
        const { groupName, customFields, includeNbIot } = input.selection;
        const stored = await storeSelection({
          jobId: input.jobId,
          accountName: input.accountName,
          ...(groupName !== undefined && { groupName }),
          ...(customFields !== undefined && { customFields }),
          ...(includeNbIot !== undefined && { includeNbIot }),
          ...(input.devices !== undefined && { devices: input.devices }),
        }).catch(unwrap);
        Object.assign(selection, stored.selection);
        // An empty selection with no listed device: nothing to stage (a stored list holds at least one device).
        if (stored.total > 0) {
          const result = await runStoredList(stored.deviceList);
          if (result) return result;
        }
      } else {
        // Jobs started before: resolved into the workflow's memory (up to MAX_DEVICES_PER_JOB), as recorded.
        devices = await resolveJobSelection(input.accountName, input.selection, devices, resolveSelection, selection);
        ledger = new JobLedger(devices);
        refs = ledger.refs;
        upsertSearchAttributes([{ key: DeviceCount, value: refs.length }]);
      }
    }
    enterPhase('checking');
    const check = await checkDevices({ accountName: input.accountName, devices: refs });
    for (const i of check.nbIot ?? []) listedNbIot.add(i);
    ledger.settle(check.alreadyActive, { outcome: 'skipped', reason: 'already active', state: 'active' });
    ledger.settle(check.notInAccount, { outcome: 'skipped', reason: 'not in account' });
    for (const { index, state } of check.ineligible)
      ledger.settle([index], { outcome: 'skipped', reason: `ineligible state: ${state}`, state });

    if (patched('device-claims')) {
      // One device, one submission across jobs: another job of this account may hold some of these devices.
      const ready = ledger.open();
      claims.used = true;
      claims.until =
        Date.now() +
        msToNumber(options.callbackTimeout ?? DEFAULT_CALLBACK_TIMEOUT) +
        msToNumber(options.pollDeadline ?? DEFAULT_POLL_DEADLINE);
      const { taken } = await claimDevices({
        accountName: input.accountName,
        jobId: input.jobId,
        keys: ready.map((i) => refs[i]!.key),
        until: claims.until,
      });
      for (const { index, jobId } of taken) {
        ledger.settle([ready[index]!], {
          outcome: 'skipped',
          reason: `in the hands of job ${jobId}, which has submitted it or is about to; see that job's report`,
        });
      }
    }

    enterPhase('submitting');
    const ready = ledger.open();
    submitting = ready.length;
    const size = options.maxDevicesPerRequest ?? MAX_DEVICES_PER_ACTIVATE;
    for (let offset = 0, n = 1; offset < ready.length && !cancelRequested(); offset += size, n++) {
      await submit(ready.slice(offset, offset + size), n);
    }
    cancelled = cancelRequested();
    const parent = workflowInfo().parent;
    if (parent && input.deviceList !== undefined) {
      // A part job: its parent may start the next part now (a lost signal only delays that until this part ends).
      await getExternalWorkflowHandle(parent.workflowId, parent.runId)
        .signal(partSubmittedSignal, input.jobId)
        .catch((err: unknown) => log.warn('could not tell the parent job', { error: describeError(err) }));
    }
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
    // Only devices never handed to ThingSpace: a chunk whose answer was lost is in a request workflow, followed.
    if (cancelled) ledger.settle(ledger.open(), { outcome: 'skipped', reason: CANCELLED_BEFORE_SUBMISSION });
    enterPhase(cancelled ? 'cancelled' : 'done');
    if (claims.used && !cancelled) {
      await releaseDevices({ accountName: input.accountName, jobId: input.jobId, keys: ledger.releasableKeys() }).catch(
        (err: unknown) =>
          log.warn('could not release device claims; they expire on their own', { error: describeError(err) }),
      );
    }
    const final = ledger.counts();
    upsertSearchAttributes(finalCountAttributes(final));
    return { ...progress(), ...ledger.notActivated(NOT_ACTIVATED_IN_RESULT) };
  });
}
