/**
 * The deployment-wide login guard: one workflow per ThingSpace username (ID `thingspace-login-guard-<username>`)
 * holding the failed-login budget for every worker. A thin shell over the pure LoginBudget: Updates take and settle
 * permits and reset the block, a query shows the state, the search attribute ActivationPhase says `login-ok` or
 * `login-blocked` in the Web UI. Leases expire lazily on the next acquire (workflow time), so no timers are needed;
 * past a history bound the state moves to a fresh run.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  defineQuery,
  defineUpdate,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { ActivationPhase } from '../search-attributes.js';
import { memoOnChange } from './memo-on-change.js';
import {
  type AcquireDecision,
  type AcquireRequest,
  DEFAULT_LOGIN_LEASE_MS,
  LoginBudget,
  type LoginBudgetSnapshot,
  type LoginGuardView,
  type SettleRequest,
} from '../thingspace/auth/login-budget.js';

export const LOGIN_GUARD_WORKFLOW_PREFIX = 'thingspace-login-guard-';

export function loginGuardWorkflowId(username: string): string {
  return `${LOGIN_GUARD_WORKFLOW_PREFIX}${username}`;
}

export interface LoginGuardInput {
  snapshot?: LoginBudgetSnapshot;
  leaseMs?: number;
  /** Continue as new past this many history events (tests pass a small bound). */
  historyLimit?: number;
}

export interface ResetLoginGuardRequest {
  /** Also set the limit (at most 4); the next acquire's own limit applies again afterwards. */
  limit?: number;
}

/** Each acquire and settle adds about five events; 2,000 keeps every run small and quick to replay. */
const DEFAULT_HISTORY_LIMIT = 2_000;
const MAX_TEXT = 200;

export const acquireLoginUpdate = defineUpdate<AcquireDecision, [AcquireRequest]>('acquireLogin');
export const settleLoginUpdate = defineUpdate<LoginGuardView, [SettleRequest]>('settleLogin');
export const resetLoginGuardUpdate = defineUpdate<LoginGuardView, [ResetLoginGuardRequest]>('resetLoginGuard');
export const loginGuardStateQuery = defineQuery<LoginGuardView>('loginGuardState');

function text(value: unknown, field: string): void {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_TEXT) {
    throw new Error(`${field} must be a non-empty string of at most ${MAX_TEXT} characters`);
  }
}

function positiveInteger(value: unknown, field: string): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new Error(`${field} must be a positive integer`);
  }
}

function validateAcquire(request: AcquireRequest): void {
  text(request?.permitId, 'permitId');
  positiveInteger(request.limit, 'limit');
}

function validateSettle(request: SettleRequest): void {
  text(request?.permitId, 'permitId');
  if (!['success', 'refused', 'transient'].includes(request.outcome)) {
    throw new Error('outcome must be one of success, refused, transient');
  }
  if (request.errorCode !== undefined && request.errorCode !== null) text(request.errorCode, 'errorCode');
}

function validateReset(request: ResetLoginGuardRequest): void {
  if (request?.limit !== undefined) positiveInteger(request.limit, 'limit');
}

export async function loginGuard(input: LoginGuardInput = {}): Promise<void> {
  const budget = new LoginBudget(input.snapshot ?? {}, input.leaseMs ?? DEFAULT_LOGIN_LEASE_MS);
  let shownPhase: string | undefined;
  const upsertOnChange = memoOnChange();
  // The Web UI shows the phase (filterable) and the counts; only codes and numbers, never a credential.
  const publish = () => {
    const view = budget.view(Date.now());
    const phase = view.blocked ? 'login-blocked' : 'login-ok';
    if (phase !== shownPhase) upsertSearchAttributes([{ key: ActivationPhase, value: phase }]);
    shownPhase = phase;
    upsertOnChange({
      loginFailures: view.failures,
      loginLimit: view.limit,
      blockedSince: view.blockedSince,
      lastRefusalCode: view.lastRefusal?.errorCode ?? null,
    });
  };

  setHandler(
    acquireLoginUpdate,
    (request) => {
      const decision = budget.acquire(Date.now(), request);
      publish();
      return decision;
    },
    { validator: validateAcquire },
  );
  setHandler(
    settleLoginUpdate,
    (request) => {
      budget.settle(Date.now(), request);
      publish();
      return budget.view(Date.now());
    },
    { validator: validateSettle },
  );
  setHandler(
    resetLoginGuardUpdate,
    (request) => {
      budget.reset(request?.limit);
      publish();
      return budget.view(Date.now());
    },
    { validator: validateReset },
  );
  setHandler(loginGuardStateQuery, () => budget.view(Date.now()));
  publish();

  const historyLimit = input.historyLimit ?? DEFAULT_HISTORY_LIMIT;
  await condition(() => workflowInfo().historyLength >= historyLimit || workflowInfo().continueAsNewSuggested);
  await condition(allHandlersFinished);
  return continueAsNew<typeof loginGuard>({ ...input, snapshot: budget.snapshot() });
}
