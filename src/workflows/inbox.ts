/**
 * The callback inbox, ID `thingspace-inbox-<requestId>`: where a callback goes when its request workflow does not
 * exist (yet). The webhook starts it with signal-with-start, so the callback is durably recorded in Temporal before
 * ThingSpace gets its 2xx — whether the callback raced the activate answer, the answer was lost, or our workers were
 * down. The inbox hands everything to whichever workflow claims the request:
 * - the request workflow `thingspace-request-<requestId>` claims its inbox when it starts, and the inbox offers
 *   itself to it when it starts (whichever comes second succeeds, so no race loses a callback);
 * - a request whose activate answer was lost learns its `requestId` by finding the inbox that names its devices,
 *   and claims it; from then on the inbox forwards every callback of that request.
 * Callbacks no request of ours ever claims (other tools on the account) stay visible here (phase `inbox-unclaimed`)
 * and are let go after `unclaimedTtl` (3 days by default); the inbox's result lists them.
 * Callbacks for a request workflow that had already closed (ThingSpace resending a day later, or a caller's short
 * callback and poll windows) come to a late inbox (`lateFor`, phase `inbox-late`): kept the same way, forwarded to
 * nobody, and never adopted by a request whose activate answer was lost, since their request is known.
 */
import { msToNumber } from '@temporalio/common';
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { CallbackRecord } from '../activation/model.js';
import type { DeviceId } from '../thingspace/schemas/device-key.js';
import { ActivationPhase } from '../search-attributes.js';
import { InboxState, type InboxSnapshot } from './inbox-state.js';
import { callbacksSignal, requestWorkflowId } from './request-messages.js';

export const claimInboxSignal = defineSignal<[{ workflowId: string }]>('claimInbox');
export const releaseInboxSignal = defineSignal('releaseInbox');
export interface InboxView {
  requestId: string;
  claimedBy: string | undefined;
  /** A late inbox: the request workflow that had closed when these callbacks came. */
  lateFor?: string;
  received: number;
  forwarded: number;
  held: number;
  devices: DeviceId[][];
}
export const inboxQuery = defineQuery<InboxView>('inbox');

export const DEFAULT_UNCLAIMED_TTL = '3 days';
const HISTORY_LIMIT = 5_000;

export { inboxWorkflowId } from './inbox-id.js';

export interface InboxInput {
  requestId: string;
  unclaimedTtl?: string | number;
  /** Set by the webhook for callbacks whose request workflow had closed: that workflow's ID (see `keepLate`). */
  lateFor?: string;
  /** Set only by the workflow itself when it continues as new. */
  carried?: InboxSnapshot;
}

export interface InboxResult {
  requestId: string;
  claimedBy: string | undefined;
  lateFor?: string;
  received: number;
  forwarded: number;
  /** Callbacks nobody claimed (at most the first 100; the rest are in this workflow's history). */
  unclaimed: CallbackRecord[];
  unclaimedCount: number;
}

export async function callbackInbox(input: InboxInput): Promise<InboxResult> {
  if (input.lateFor !== undefined) return keepLate(input, input.lateFor);
  const state = new InboxState(Date.now(), input.carried);
  let released = false;

  /** Sends what is held to `target`; true when all of it went. What could not go is put back, in order. */
  const sendTo = async (target: string): Promise<boolean> => {
    const batches = state.takeBatches();
    for (const [i, batch] of batches.entries()) {
      try {
        await getExternalWorkflowHandle(target).signal(callbacksSignal, batch);
        state.delivered(batch);
      } catch (err) {
        if (isCancellation(err)) throw err;
        state.putBack(batches.slice(i));
        return false;
      }
    }
    return true;
  };
  const forward = async () => {
    const target = state.claimedBy;
    if (target === undefined) return;
    if (!(await sendTo(target))) {
      // The claimant has closed: nothing can take these any more; keep them visible in the result.
      log.warn('inbox could not forward to its claimant', { requestId: input.requestId, claimedBy: target });
      released = true;
    }
  };
  const phase = () => (state.claimedBy === undefined ? 'inbox-unclaimed' : 'inbox-forwarding');

  setHandler(callbacksSignal, async (records) => {
    state.receive(records);
    await forward();
  });
  setHandler(claimInboxSignal, async ({ workflowId }) => {
    state.claimedBy = workflowId;
    upsertSearchAttributes([{ key: ActivationPhase, value: phase() }]);
    await forward();
  });
  setHandler(releaseInboxSignal, () => {
    released = true;
  });
  setHandler(inboxQuery, () => view(input, state));
  upsertSearchAttributes([{ key: ActivationPhase, value: phase() }]);

  // The request workflow may have started between the webhook's failed signal and this inbox's start: hand it
  // what we hold once. If it starts later instead, it claims this inbox itself when it starts.
  const deadline = state.firstAt + msToNumber(input.unclaimedTtl ?? DEFAULT_UNCLAIMED_TTL);
  if (input.carried === undefined) {
    await condition(
      () => state.received > 0 || state.claimedBy !== undefined || released,
      Math.max(0, deadline - Date.now()),
    );
  }
  if (input.carried === undefined && state.claimedBy === undefined && state.held.length > 0) {
    const own = requestWorkflowId(input.requestId);
    const delivered = await sendTo(own);
    if (delivered && state.claimedBy === undefined) {
      state.claimedBy = own;
      upsertSearchAttributes([{ key: ActivationPhase, value: phase() }]);
    }
    // Whatever came meanwhile goes to the claimant (if there is one by now).
    await forward();
  }

  // A claimed inbox forwards until its claimant releases it; an unclaimed one waits until its time is up.
  const timedOut = !(await condition(() => released || mustContinue(), Math.max(0, deadline - Date.now())));
  if (!released && !timedOut && mustContinue()) {
    await condition(allHandlersFinished);
    return continueAsNew<typeof callbackInbox>({ ...input, carried: state.snapshot() });
  }
  await condition(allHandlersFinished);
  if (state.claimedBy === undefined && state.received > 0) {
    log.warn('callbacks no request of ours claimed; letting them go', {
      requestId: input.requestId,
      callbacks: state.received,
    });
  }
  upsertSearchAttributes([{ key: ActivationPhase, value: state.claimedBy === undefined ? 'inbox-expired' : 'done' }]);
  return result(input, state);
}

/**
 * A late inbox: what it receives stays in it (and in its history) until `unclaimedTtl` has passed since the first
 * callback, then its result lists it. Nothing is forwarded: its request workflow has closed, and a new run of it can
 * never start (request workflow IDs are never reused).
 */
async function keepLate(input: InboxInput, lateFor: string): Promise<InboxResult> {
  const state = new InboxState(Date.now(), input.carried);
  setHandler(callbacksSignal, (records) => state.receive(records));
  // No request claims or releases a late inbox; the handlers keep such signals from waiting unhandled.
  setHandler(claimInboxSignal, () => undefined);
  setHandler(releaseInboxSignal, () => undefined);
  setHandler(inboxQuery, () => view(input, state));
  upsertSearchAttributes([{ key: ActivationPhase, value: 'inbox-late' }]);
  const deadline = state.firstAt + msToNumber(input.unclaimedTtl ?? DEFAULT_UNCLAIMED_TTL);
  if (await condition(mustContinue, Math.max(0, deadline - Date.now()))) {
    await condition(allHandlersFinished);
    return continueAsNew<typeof callbackInbox>({ ...input, carried: state.snapshot() });
  }
  await condition(allHandlersFinished);
  log.warn('callbacks that came after their request workflow closed; letting them go', {
    requestId: input.requestId,
    lateFor,
    callbacks: state.received,
  });
  upsertSearchAttributes([{ key: ActivationPhase, value: 'inbox-expired' }]);
  return result(input, state);
}

function mustContinue(): boolean {
  return workflowInfo().historyLength >= HISTORY_LIMIT || workflowInfo().continueAsNewSuggested;
}

/** What the query and the result both say. */
function summary(input: InboxInput, state: InboxState) {
  return {
    requestId: input.requestId,
    claimedBy: state.claimedBy,
    ...(input.lateFor !== undefined && { lateFor: input.lateFor }),
    received: state.received,
    forwarded: state.forwarded,
  };
}

function view(input: InboxInput, state: InboxState): InboxView {
  return { ...summary(input, state), held: state.waiting, devices: state.devices() };
}

function result(input: InboxInput, state: InboxState): InboxResult {
  return { ...summary(input, state), unclaimed: state.held.slice(0, 100), unclaimedCount: state.held.length };
}
