/**
 * The login guard: every session login first takes a permit and afterwards reports how it went, so that the
 * failed-login budget (see login-budget.ts) holds wherever the budget lives: in this process (InProcessLoginGuard,
 * the default) or in a Temporal workflow shared by every worker of the deployment (src/temporal/login-guard.ts).
 */
import { ThingSpaceAbortError, ThingSpaceLoginBlockedError } from '../errors.js';
import {
  type AcquireDecision,
  DEFAULT_LOGIN_LEASE_MS,
  LoginBudget,
  type LoginGuardView,
  type LoginOutcome,
} from './login-budget.js';

export type { LoginGuardView, LoginOutcome } from './login-budget.js';

export interface LoginPermit {
  /** Reports the login's outcome; `errorCode` is the refusal's code (never the password or the message). */
  settle(outcome: LoginOutcome, errorCode?: string): Promise<void>;
}

export interface AcquireLoginOptions {
  /** The caller's `maxConsecutiveLoginFailures`. */
  limit: number;
  signal?: AbortSignal;
}

export interface LoginGuard {
  /**
   * A permit for one login attempt. Throws ThingSpaceLoginBlockedError (retryable, after a long `retryAfterMs`)
   * while failed logins have spent the budget, or (retryable, soon) when logins in flight kept it busy too long.
   */
  acquire(options: AcquireLoginOptions): Promise<LoginPermit>;
  state(): Promise<LoginGuardView>;
  /** The operator's word that the credentials were fixed: logins are allowed again. */
  reset(): Promise<void>;
}

/**
 * While failed logins block: an activity backs off this long between attempts (it is not failed: an operator
 * fixes the password and resets the guard, and the job carries on).
 */
export const LOGIN_BLOCKED_RETRY_MS = 300_000;
/** When only logins in flight held the budget for the whole wait: try again soon. */
export const LOGIN_BUSY_RETRY_MS = 5_000;
/** How long an acquire waits for logins in flight before giving up for now. */
export const DEFAULT_LOGIN_WAIT_MS = 30_000;

const OPERATION = 'session login';

export function loginBlockedError(
  decision: Extract<AcquireDecision, { kind: 'blocked' }>,
): ThingSpaceLoginBlockedError {
  return new ThingSpaceLoginBlockedError(
    `session login refused: the last ${decision.failures} logins failed (limit ${decision.limit}; ThingSpace locks ` +
      'the account after 5); fix the credentials, then reset the login guard (thingspace-activation login-guard --reset)',
    { operation: OPERATION, retryable: true, retryAfterMs: LOGIN_BLOCKED_RETRY_MS },
  );
}

export function loginBusyError(outstanding: number): ThingSpaceLoginBlockedError {
  return new ThingSpaceLoginBlockedError(
    `session login postponed: ${outstanding} other login(s) in flight hold the failed-login budget`,
    { operation: OPERATION, retryable: true, retryAfterMs: LOGIN_BUSY_RETRY_MS },
  );
}

export function loginAbortedError(): ThingSpaceAbortError {
  return new ThingSpaceAbortError(`${OPERATION} aborted by the caller while waiting for the login guard`, {
    operation: OPERATION,
    retryable: false,
  });
}

export interface InProcessLoginGuardOptions {
  /** Clock for leases (tests move it instead of sleeping); defaults to Date.now. */
  now?: () => number;
  leaseMs?: number;
  maxWaitMs?: number;
}

/** The budget held in this process: right for the CLI, tests and a deployment with a single worker. */
export class InProcessLoginGuard implements LoginGuard {
  private readonly budget: LoginBudget;
  private readonly now: () => number;
  private readonly maxWaitMs: number;
  private readonly listeners = new Set<() => void>();
  private nextPermit = 0;

  constructor(options: InProcessLoginGuardOptions = {}) {
    this.now = options.now ?? Date.now;
    this.maxWaitMs = options.maxWaitMs ?? DEFAULT_LOGIN_WAIT_MS;
    this.budget = new LoginBudget({}, options.leaseMs ?? DEFAULT_LOGIN_LEASE_MS);
  }

  async acquire({ limit, signal }: AcquireLoginOptions): Promise<LoginPermit> {
    const permitId = `local-${++this.nextPermit}`;
    const giveUpAt = Date.now() + this.maxWaitMs;
    for (;;) {
      if (signal?.aborted) throw loginAbortedError();
      const decision = this.budget.acquire(this.now(), { permitId, limit });
      if (decision.kind === 'granted') return this.permit(permitId);
      if (decision.kind === 'blocked') throw loginBlockedError(decision);
      const left = giveUpAt - Date.now();
      if (left <= 0) throw loginBusyError(decision.outstanding);
      await this.changed(Math.min(decision.retryInMs, left), signal);
    }
  }

  async state(): Promise<LoginGuardView> {
    return this.budget.view(this.now());
  }

  async reset(): Promise<void> {
    this.budget.reset();
    this.notify();
  }

  private permit(permitId: string): LoginPermit {
    return {
      settle: async (outcome, errorCode) => {
        this.budget.settle(this.now(), { permitId, outcome, errorCode: errorCode ?? null });
        this.notify();
      },
    };
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }

  /** Resolves when a permit settles, the guard is reset or `ms` pass; rejects when the caller aborts. */
  private changed(ms: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        this.listeners.delete(wake);
        signal?.removeEventListener('abort', onAbort);
      };
      const wake = () => {
        done();
        resolve();
      };
      const onAbort = () => {
        done();
        reject(loginAbortedError());
      };
      const timer = setTimeout(wake, ms);
      this.listeners.add(wake);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
