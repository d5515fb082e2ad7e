/**
 * The typed client for other TypeScript services: start a job (the job key is the workflow ID, so starting the same
 * key again returns the existing job), follow it, fetch the full per-device report page by page, cancel it.
 */
import { WorkflowExecutionAlreadyStartedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { JobRequestSchema, type JobRequestInput } from './activation/job.js';
import type { JobProgress, JobResult } from './activation/job-result.js';
import type { DeviceReport } from './activation/model.js';
import { formatZodError } from './thingspace/schemas/format.js';
import { activationJob, jobProgressQuery, jobReportQuery } from './workflows/job.js';
import {
  REPORT_PAGE_LIMIT,
  requestProgressQuery,
  requestReportQuery,
  type activationRequest,
} from './workflows/request.js';
import { DEFAULT_TASK_QUEUE } from './task-queues.js';

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

export class ActivationClient {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string = DEFAULT_TASK_QUEUE,
  ) {}

  /** Validates before sending anything; a bad request is refused with every field and rule it breaks. */
  async startJob(request: JobRequestInput): Promise<StartedJob> {
    const parsed = JobRequestSchema.safeParse(request);
    if (!parsed.success) {
      throw new InvalidJobRequestError(
        `Invalid job request: ${formatZodError(parsed.error, 20)}`,
        parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
      );
    }
    try {
      const handle = await this.client.workflow.start(activationJob, {
        taskQueue: this.taskQueue,
        workflowId: request.jobId,
        // Temporal's default lets a closed workflow's ID start again; a finished job run twice would activate twice.
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        args: [request],
      });
      return { handle, started: true };
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      return { handle: this.job(request.jobId), started: false };
    }
  }

  job(jobId: string): WorkflowHandle<typeof activationJob> {
    return this.client.workflow.getHandle<typeof activationJob>(jobId);
  }

  progress(jobId: string): Promise<JobProgress> {
    return this.job(jobId).query(jobProgressQuery);
  }

  /**
   * Progress with live per-device counts: the job itself counts a request's devices only once that request has
   * finished, so the requests still open are asked for theirs.
   */
  async liveProgress(jobId: string): Promise<JobProgress> {
    const progress = await this.progress(jobId);
    const counts = { ...progress.counts };
    await Promise.all(
      progress.requests
        .filter((request) => !request.counts)
        .map(async ({ workflowId }) => {
          const live = await this.client.workflow
            .getHandle<typeof activationRequest>(workflowId)
            .query(requestProgressQuery)
            .catch(() => undefined);
          if (!live) return;
          for (const outcome of ['activated', 'failed', 'skipped', 'unresolved'] as const) {
            counts[outcome] += live.counts[outcome];
            counts.pending -= live.counts[outcome];
          }
        }),
    );
    return { ...progress, counts };
  }

  result(jobId: string): Promise<JobResult> {
    return this.job(jobId).result();
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
    yield* pages((offset) => job.query(jobReportQuery, { offset, limit }), limit);
    const { requests } = await job.query(jobProgressQuery);
    for (const { workflowId } of requests) {
      const request = this.client.workflow.getHandle<typeof activationRequest>(workflowId);
      yield* pages((offset) => request.query(requestReportQuery, { offset, limit }), limit);
    }
  }
}

async function* pages(fetch: (offset: number) => Promise<DeviceReport[]>, limit: number) {
  for (let offset = 0; ; offset += limit) {
    const page = await fetch(offset);
    if (page.length > 0) yield page;
    if (page.length < limit) return;
  }
}
