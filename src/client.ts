/**
 * The typed client for other TypeScript services: start a job (the job key is the workflow ID, so starting the same
 * key again returns the existing job), follow it, fetch the full per-device report page by page, cancel it.
 */
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  type Client,
  type WorkflowExecutionDescription,
  type WorkflowHandle,
} from '@temporalio/client';
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow/index.js';
import { decodeDeviceList, DeviceListError, storeDeviceList } from './activation/device-list.js';
import { needsStoredList } from './activation/job-limits.js';
import { JobRequestSchema, type JobRequestInput } from './activation/job.js';
import {
  listsEveryNotActivated,
  type JobProgress,
  type JobResult,
  type JobSelectionSummary,
} from './activation/job-result.js';
import { selectionSoFar } from './activities/store-selection.js';
import type { DeviceReport } from './activation/model.js';
import { addCounts } from './activation/outcomes.js';
import { GroupTally, PENDING_BECAUSE, pendingReason } from './activation/outcome-groups.js';
import { readPublishedJobProgress, readPublishedProgress, type PublishedProgress } from './activation/progress-memo.js';
import { deviceKey } from './thingspace/schemas/device-key.js';
import { dottedIssuePath, formatZodError } from './thingspace/schemas/format.js';
import { activationJob, jobProgressQuery, jobReportQuery } from './workflows/job.js';
import { CANCELLED_BEFORE_SUBMISSION, failedPartReason } from './workflows/job-parts.js';
import {
  REPORT_PAGE_LIMIT,
  requestProgressQuery,
  requestReportQuery,
  type activationRequest,
} from './workflows/request.js';
import { DEFAULT_TASK_QUEUE } from './task-queues.js';
import { DeviceCount } from './search-attributes.js';
import type { BlobStore } from './storage/blob-store.js';
import { blobStoreFromEnv } from './storage/store-from-env.js';
import { retrieveStoredPayloads } from './temporal/external-storage.js';
import {
  canonicalOutcomes,
  devicesToRetry,
  RETRYABLE_OUTCOMES,
  RetryMemoSchema,
  RetryOutcomesSchema,
  RetryRefusedError,
  retryJobId,
  type RetryOutcome,
} from './retry.js';

export { RETRYABLE_OUTCOMES, RetryRefusedError, type RetryOutcome };

export class InvalidJobRequestError extends Error {
  override name = 'InvalidJobRequestError';
  constructor(
    message: string,
    readonly issues: { path: string; message: string }[],
  ) {
    super(message);
  }
}

export interface StartedJob {
  handle: WorkflowHandle<typeof activationJob>;
  /** False when a job with this key already existed and that one is returned. */
  started: boolean;
}

export interface RetryOptions {
  /** Which devices to retry, by the outcome the first job gave them (default: failed, unresolved, unconfirmed). */
  outcomes?: readonly RetryOutcome[];
}

export interface StartedRetry extends StartedJob {
  jobId: string;
  /** Devices in the retry job. */
  devices: number;
}

/** Retries of one job, one per choice of outcomes; more than this is a loop, not an operator. */
const MAX_RETRIES_PER_JOB = 100;

export class ActivationClient {
  private storeInUse: BlobStore | undefined;

  /** `store`: where long device lists go (the workers' store); defaults to BLOB_STORE_URL's. */
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string = DEFAULT_TASK_QUEUE,
    store?: BlobStore,
  ) {
    this.storeInUse = store;
  }

  private get store(): BlobStore {
    return (this.storeInUse ??= blobStoreFromEnv());
  }

  /**
   * Validates before sending anything; a bad request is refused with every field and rule it breaks. A list of
   * more than INLINE_DEVICES_MAX devices (up to 1,000,000), or one whose small requests would be more than a job
   * sends (needsStoredList), is stored and the job names it (`deviceList`): no Temporal payload ever carries it
   * whole, and it runs in parts.
   */
  async startJob(request: JobRequestInput, memo?: Record<string, unknown>): Promise<StartedJob> {
    const listed = request.devices?.length ?? 0;
    if (needsStoredList(listed, request.options?.maxDevicesPerRequest) && request.selection === undefined) {
      request = await this.storeDevices(request);
    }
    const parsed = JobRequestSchema.safeParse(request);
    if (!parsed.success) {
      throw new InvalidJobRequestError(
        `Invalid job request: ${formatZodError(parsed.error, 20)}`,
        parsed.error.issues.map((issue) => ({ path: dottedIssuePath(issue.path), message: issue.message })),
      );
    }
    try {
      const handle = await this.client.workflow.start(activationJob, {
        taskQueue: this.taskQueue,
        workflowId: request.jobId,
        // Temporal's default lets a closed workflow's ID start again; a finished job run twice would activate twice.
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        args: [request],
        ...(memo && { memo }),
      });
      return { handle, started: true };
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      return { handle: this.job(request.jobId), started: false };
    }
  }

  /** Checks and stores a job's devices; the request then names the stored list instead. */
  private async storeDevices(request: JobRequestInput): Promise<JobRequestInput> {
    const { devices = [], ...rest } = request;
    try {
      const rules = { carrierIpPoolName: request.activation?.carrierIpPoolName };
      const { deviceList } = await storeDeviceList(this.store, devices, rules, 'job request');
      return { ...rest, deviceList };
    } catch (err) {
      if (!(err instanceof DeviceListError)) throw err;
      throw new InvalidJobRequestError(
        err.message,
        err.problems.map((problem) => ({ path: dottedIssuePath(problem.path), message: problem.text })),
      );
    }
  }

  /** The devices of a stored list, as stored (they passed the job's rules when the job started). */
  async storedDevices(deviceList: string): Promise<NonNullable<JobRequestInput['devices']>> {
    return (await decodeDeviceList(await this.store.get(deviceList))) as NonNullable<JobRequestInput['devices']>;
  }

  job(jobId: string): WorkflowHandle<typeof activationJob> {
    return this.client.workflow.getHandle<typeof activationJob>(jobId);
  }

  /**
   * The job's progress: of a completed job, from its result (its last event); a query on a closed workflow replays
   * its whole history.
   */
  async progress(jobId: string, description?: Pick<WorkflowExecutionDescription, 'status'>): Promise<JobProgress> {
    const result = await this.completedResult(jobId, description);
    if (!result) return this.job(jobId).query(jobProgressQuery);
    const { notActivated: _notActivated, notActivatedTruncated: _truncated, ...progress } = result;
    return progress;
  }

  /**
   * The job's result once it has completed; undefined while it runs, or when it failed or was terminated.
   * `description`: the job's, when the caller has just read it.
   */
  async completedResult(
    jobId: string,
    description?: Pick<WorkflowExecutionDescription, 'status'>,
  ): Promise<JobResult | undefined> {
    const job = this.job(jobId);
    const { status } = description ?? (await job.describe());
    return status.name === 'COMPLETED' ? job.result() : undefined;
  }

  /**
   * Progress with live per-device counts: the job itself counts a request's devices only once that request has
   * finished, so the requests still open are asked for theirs, and for their devices not activated so far.
   */
  async liveProgress(jobId: string): Promise<JobProgress> {
    return this.withOpenWork(await this.progress(jobId));
  }

  /** `progress` with what its open parts and requests have counted so far added in. */
  private async withOpenWork(progress: JobProgress): Promise<JobProgress> {
    const { jobId } = progress;
    const counts = { ...progress.counts };
    let awaitingNidd = 0;
    // Undefined once one of them cannot say (a worker older than these counts): only the whole report can then.
    let groups = progress.notActivatedGroups && new GroupTally().addGroups(progress.notActivatedGroups);
    /** What an open part or request said; devices it could not answer for stay pending, as the job counts them. */
    const add = (live: Omit<JobProgress, 'jobId' | 'phase' | 'requests'> | undefined, devices: number) => {
      if (!live) {
        groups?.add('pending', PENDING_BECAUSE.workflowSilent, devices);
        return;
      }
      addCounts(counts, live.counts);
      awaitingNidd += live.awaitingNidd ?? 0;
      groups = live.notActivatedGroups && groups?.addGroups(live.notActivatedGroups);
    };
    const over = progress.phase === 'done' || progress.phase === 'cancelled';
    // A job cut into parts counts a part once it has finished: the running parts are asked, as their requests are.
    await Promise.all(
      (progress.parts ?? [])
        .filter((part) => !part.counts && !part.failure && (part.started || !over))
        .map(async ({ jobId: partId, started, devices }) => {
          if (started) add(await this.openPartProgress(partId).catch(() => undefined), devices);
          else groups?.add('pending', PENDING_BECAUSE.partNotStarted, devices);
        }),
    );
    await Promise.all(
      progress.requests
        .filter((request) => !request.counts && !request.failure)
        .map(async ({ workflowId, devices }) => {
          add(await this.openRequestProgress(workflowId).catch(() => undefined), devices);
        }),
    );
    const selection =
      progress.phase === 'resolving' && progress.selection
        ? ((await this.selectionSoFar(jobId).catch(() => undefined)) ?? progress.selection)
        : progress.selection;
    const { notActivatedGroups: _settled, ...rest } = progress;
    return {
      ...rest,
      counts,
      ...(selection && { selection }),
      ...(awaitingNidd > 0 && { awaitingNidd }),
      ...(groups && { notActivatedGroups: groups.groups() }),
    };
  }

  /**
   * An open part's progress with its open requests': from the counts and open requests it published in its memo (one
   * describe), or else (a run older than the memo, or more than fits in it) from a query, which replays the part
   * when the worker has not cached it.
   */
  private async openPartProgress(partId: string): Promise<JobProgress> {
    const description = await this.job(partId).describe();
    const published = description.status.name === 'RUNNING' ? readPublishedJobProgress(description.memo) : undefined;
    return this.withOpenWork(published ? { jobId: partId, ...published } : await this.progress(partId, description));
  }

  /**
   * An open request's progress: as it published it in its memo (one describe), or else (a run older than the memo,
   * or too many reasons to publish) by a query, which replays the request when the worker has not cached it.
   */
  private async openRequestProgress(workflowId: string): Promise<PublishedProgress> {
    const handle = this.client.workflow.getHandle<typeof activationRequest>(workflowId);
    const { memo } = await handle.describe();
    return readPublishedProgress(memo) ?? handle.query(requestProgressQuery);
  }

  /** A selection job's devices resolved so far: the job learns them only once storeSelection ends. */
  private async selectionSoFar(jobId: string): Promise<JobSelectionSummary | undefined> {
    const { raw } = await this.job(jobId).describe();
    const running = raw.pendingActivities?.find((a) => a.activityType?.name === 'storeSelection');
    const payloads = running?.heartbeatDetails?.payloads;
    if (!payloads?.length) return undefined;
    const converter = this.client.options.loadedDataConverter;
    return selectionSoFar(await decodeFromPayloadsAtIndex<unknown>(converter, 0, payloads));
  }

  result(jobId: string): Promise<JobResult> {
    return this.job(jobId).result();
  }

  /**
   * Starts a job for the devices a finished job ended with one of `outcomes`, with its account, settings and
   * options; memo `retryOf` names the first job. The ID is `<jobId>-retry-<n>`: asking again for the same outcomes
   * returns the retry already made (`started: false`) instead of running it twice. Refused (RetryRefusedError) for
   * a job still running or one that failed, and when no device has those outcomes.
   */
  async retry(jobId: string, options: RetryOptions = {}): Promise<StartedRetry> {
    const parsed = RetryOutcomesSchema.safeParse(options.outcomes ?? [...RETRYABLE_OUTCOMES]);
    if (!parsed.success) throw new RetryRefusedError(`Invalid retry: ${formatZodError(parsed.error, 5)}`);
    const outcomes = canonicalOutcomes(parsed.data);

    const description = await this.job(jobId).describe();
    if (description.type !== activationJob.name) throw new RetryRefusedError(`${jobId} is not an activation job`);
    if (description.status.name !== 'COMPLETED') {
      throw new RetryRefusedError(
        description.status.name === 'RUNNING'
          ? `Job ${jobId} has not finished yet; retry it once it is done (thingspace-activation status ${jobId}).`
          : `Job ${jobId} ended ${description.status.name.toLowerCase()}, without a report to retry from.`,
      );
    }

    let id: string | undefined;
    for (let n = 1; n <= MAX_RETRIES_PER_JOB && !id; n++) {
      const candidate = retryJobId(jobId, n);
      const existing = await this.job(candidate)
        .describe()
        .catch((err: unknown) => {
          if (err instanceof WorkflowNotFoundError) return undefined;
          throw err;
        });
      if (!existing) id = candidate;
      else {
        const memo = RetryMemoSchema.safeParse(existing.memo);
        const same = memo.success && memo.data.retryOf === jobId && memo.data.retryOutcomes.join() === outcomes.join();
        if (same) {
          const devices = existing.typedSearchAttributes.get(DeviceCount) ?? 0;
          return { handle: this.job(candidate), started: false, jobId: candidate, devices };
        }
      }
    }
    if (!id) throw new RetryRefusedError(`Job ${jobId} has been retried ${MAX_RETRIES_PER_JOB} times already.`);

    const request = await this.request(jobId);
    // A stored list's devices keep their settings (IP address, NB-IoT) in the retry, as listed ones do.
    const original = request.deviceList
      ? { ...request, devices: await this.storedDevices(request.deviceList) }
      : request;
    const result = await this.result(jobId);
    const leftOver = listsEveryNotActivated(result) ? [result.notActivated] : this.report(jobId);
    const devices = await devicesToRetry(original, leftOver, outcomes);
    if (devices.length === 0)
      throw new RetryRefusedError(`Job ${jobId} has no ${outcomes.join(' or ')} device to retry; nothing was started.`);
    // The retry names its devices: a selection would resolve the whole group again.
    const { jobId: _first, selection: _selection, deviceList: _list, ...same } = original;
    const started = await this.startJob(
      { ...same, jobId: id, devices },
      {
        retryOf: jobId,
        retryOutcomes: outcomes,
      },
    );
    return { ...started, jobId: id, devices: devices.length };
  }

  /** The request a job was started with, read from its first history event. */
  async request(jobId: string): Promise<JobRequestInput> {
    const history = await this.job(jobId).fetchHistory();
    const input = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads ?? [];
    // fetchHistory leaves External Storage references as they are: an input over the threshold is fetched first.
    const converter = this.client.options.loadedDataConverter;
    return decodeFromPayloadsAtIndex<JobRequestInput>(converter, 0, await retrieveStoredPayloads(converter, input));
  }

  /** Stops new submissions; what was already submitted is still followed by its request workflows. */
  cancel(jobId: string): Promise<void> {
    return this.job(jobId)
      .cancel()
      .then(() => undefined);
  }

  /**
   * Every device of the job, in pages of at most `pageSize`: first those the job settled itself (skipped, refused),
   * then each request's devices. Works while the job runs (open devices show as pending) and after it ended.
   */
  async *report(jobId: string, pageSize = REPORT_PAGE_LIMIT): AsyncGenerator<DeviceReport[]> {
    const limit = Math.min(pageSize, REPORT_PAGE_LIMIT);
    const job = this.job(jobId);
    yield* reportPages((offset) => job.query(jobReportQuery, { offset, limit: REPORT_READ_DEVICES }), limit);
    const { requests, parts, phase } = await this.progress(jobId);
    for (const part of parts ?? []) {
      // As the job counts them: a part that failed, unresolved; one a cancelled job never started, skipped; one
      // not started yet, pending (shown as unresolved, as a request shows its open devices).
      if (part.failure !== undefined) {
        const reason = failedPartReason(part.jobId, part.failure);
        yield* this.storedPart(part.deviceList, 'unresolved', reason, limit);
      } else if (part.started) yield* this.report(part.jobId, pageSize);
      else if (phase === 'cancelled') {
        yield* this.storedPart(part.deviceList, 'skipped', CANCELLED_BEFORE_SUBMISSION, limit);
      } else
        yield* this.storedPart(part.deviceList, 'unresolved', pendingReason(PENDING_BECAUSE.partNotStarted), limit);
    }
    // A request workflow that failed or was terminated is reported by the job itself (its devices: unresolved).
    for (const { workflowId, devices } of requests.filter((r) => !r.failure)) {
      const request = this.client.workflow.getHandle<typeof activationRequest>(workflowId);
      yield* reportPages(
        (offset) => request.query(requestReportQuery, { offset, limit: REPORT_READ_DEVICES }),
        limit,
        devices,
      );
    }
  }

  /** A part's devices as read from its stored list, all with one outcome (see report). */
  private async *storedPart(
    deviceList: string,
    outcome: 'skipped' | 'unresolved',
    reason: string,
    limit: number,
  ): AsyncGenerator<DeviceReport[]> {
    const devices = await this.storedDevices(deviceList);
    for (let offset = 0; offset < devices.length; offset += limit) {
      yield devices
        .slice(offset, offset + limit)
        .map(({ deviceIds }) => ({ key: deviceKey(deviceIds) ?? '', deviceIds, assignedIds: [], outcome, reason }));
    }
  }
}

/**
 * Devices `report` asks one `report` query for. A query on a closed workflow replays its whole history, each time, so
 * fewer queries cost less; 5,000 devices are about 240 KB gzipped, under External Storage's threshold (256 KiB), so
 * reading a report writes nothing to the store (10,000 came to 473 KB, a new stored object for every read).
 */
export const REPORT_READ_DEVICES = 5_000;

/**
 * Every device a `report` query answers, in pages of `pageSize`, REPORT_READ_DEVICES a query, or REPORT_PAGE_LIMIT
 * from workers older than that. With the count of devices known (a request's) nothing is asked past it; otherwise
 * only a full answer of either size may have more behind it.
 */
async function* reportPages(
  fetch: (offset: number) => Promise<DeviceReport[]>,
  pageSize: number,
  devices?: number,
): AsyncGenerator<DeviceReport[]> {
  for (let offset = 0; devices === undefined || offset < devices;) {
    const answer = await fetch(offset);
    if (answer.length === 0) return;
    offset += answer.length;
    for (let i = 0; i < answer.length; i += pageSize) yield answer.slice(i, i + pageSize);
    if (devices === undefined && answer.length !== REPORT_READ_DEVICES && answer.length !== REPORT_PAGE_LIMIT) return;
  }
}
