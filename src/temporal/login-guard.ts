/**
 * The client side of the deployment-wide login guard (src/workflows/login-guard.ts): every worker's ThingSpace
 * client takes its login permits from the one guard workflow of its username. The first worker to log in creates
 * the workflow (update-with-start, USE_EXISTING), so nothing has to be set up beforehand.
 */
import { randomUUID } from 'node:crypto';
import {
  type Client,
  WithStartWorkflowOperation,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import {
  DEFAULT_LOGIN_WAIT_MS,
  LOGIN_BUSY_RETRY_MS,
  loginAbortedError,
  loginBlockedError,
  loginBusyError,
  type AcquireLoginOptions,
  type LoginGuard,
  type LoginGuardView,
  type LoginOutcome,
  type LoginPermit,
} from '../thingspace/auth/login-guard.js';
import type { AcquireDecision } from '../thingspace/auth/login-budget.js';
import { LOGIN_GUARD_TASK_QUEUE } from '../task-queues.js';
import { ThingSpaceLoginBlockedError } from '../thingspace/errors.js';
import {
  acquireLoginUpdate,
  loginGuard,
  type LoginGuardInput,
  loginGuardStateQuery,
  loginGuardWorkflowId,
  resetLoginGuardUpdate,
  settleLoginUpdate,
} from '../workflows/login-guard.js';

export { loginGuardWorkflowId } from '../workflows/login-guard.js';

export interface TemporalLoginGuardOptions {
  /** The ThingSpace username whose budget this is (one guard workflow per username). */
  username: string;
  /** Where the guard workflow runs; defaults to LOGIN_GUARD_TASK_QUEUE, which every worker process polls. */
  taskQueue?: string;
  /** Lease of a permit (default 2 minutes) and history bound, used when this worker creates the workflow. */
  start?: Pick<LoginGuardInput, 'leaseMs' | 'historyLimit'>;
  /** How long an acquire waits while only logins in flight hold the budget (default 30 s). */
  maxWaitMs?: number;
  /** Pause between two asks while the budget is busy (default 1 s). */
  pollMs?: number;
  /** Bound on each call to Temporal (default 20 s): a guard that cannot answer must not hang a login. */
  callTimeoutMs?: number;
}

export class TemporalLoginGuard implements LoginGuard {
  private readonly workflowId: string;

  constructor(
    private readonly client: Client,
    private readonly options: TemporalLoginGuardOptions,
  ) {
    this.workflowId = loginGuardWorkflowId(options.username);
  }

  async acquire({ limit, signal }: AcquireLoginOptions): Promise<LoginPermit> {
    // One ID for every ask of this attempt: a retried ask that was granted returns the same lease.
    const permitId = randomUUID();
    const giveUpAt = Date.now() + (this.options.maxWaitMs ?? DEFAULT_LOGIN_WAIT_MS);
    for (;;) {
      if (signal?.aborted) throw loginAbortedError();
      const decision: AcquireDecision = await this.call('acquire', () =>
        this.client.workflow.executeUpdateWithStart(acquireLoginUpdate, {
          args: [{ permitId, limit }],
          startWorkflowOperation: this.startOperation(),
        }),
      );
      if (decision.kind === 'granted') return this.permit(permitId);
      if (decision.kind === 'blocked') throw loginBlockedError(decision);
      const left = giveUpAt - Date.now();
      if (left <= 0) throw loginBusyError(decision.outstanding);
      await pause(Math.min(this.options.pollMs ?? 1_000, Math.max(decision.retryInMs, 10), left), signal);
    }
  }

  async state(): Promise<LoginGuardView> {
    return (await readLoginGuard(this.client, this.options.username)) ?? emptyView();
  }

  async reset(): Promise<void> {
    await resetLoginGuard(this.client, this.options.username);
  }

  private permit(permitId: string): LoginPermit {
    return {
      settle: async (outcome: LoginOutcome, errorCode?: string) => {
        // With start: a guard terminated in between is recreated and still learns of a refusal.
        await this.call('settle', () =>
          this.client.workflow.executeUpdateWithStart(settleLoginUpdate, {
            args: [{ permitId, outcome, errorCode: errorCode ?? null }],
            startWorkflowOperation: this.startOperation(),
          }),
        );
      },
    };
  }

  private startOperation() {
    return new WithStartWorkflowOperation(loginGuard, {
      workflowId: this.workflowId,
      taskQueue: this.options.taskQueue ?? LOGIN_GUARD_TASK_QUEUE,
      args: [{ ...this.options.start }],
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
  }

  /** Temporal trouble becomes a retryable ThingSpace error, so the activity backs off and asks again. */
  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await this.client.withDeadline(Date.now() + (this.options.callTimeoutMs ?? 20_000), fn);
    } catch (error) {
      const reason = error instanceof WorkflowUpdateFailedError ? 'refused the request' : 'could not be reached';
      throw new ThingSpaceLoginBlockedError(
        `session login postponed: the login guard (${what}) ${reason}: ${error instanceof Error ? error.name : 'unknown error'}`,
        { operation: 'session login', retryable: true, retryAfterMs: LOGIN_BUSY_RETRY_MS },
      );
    }
  }
}

/** The guard's state, or undefined when no worker has logged in with this username yet. */
export async function readLoginGuard(client: Client, username: string): Promise<LoginGuardView | undefined> {
  try {
    return await client.workflow.getHandle(loginGuardWorkflowId(username)).query(loginGuardStateQuery);
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return undefined;
    throw error;
  }
}

/** Allows logins again (the operator fixed the credentials); undefined when there was no guard to reset. */
export async function resetLoginGuard(client: Client, username: string): Promise<LoginGuardView | undefined> {
  try {
    return await client.workflow
      .getHandle(loginGuardWorkflowId(username))
      .executeUpdate(resetLoginGuardUpdate, { args: [{}] });
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return undefined;
    throw error;
  }
}

function emptyView(): LoginGuardView {
  return { failures: 0, limit: 0, outstanding: 0, blocked: false, blockedSince: null, lastRefusal: null };
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(loginAbortedError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
