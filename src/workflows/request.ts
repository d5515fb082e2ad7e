/**
 * One workflow per ThingSpace activate request (≤ 10,000 devices), ID `thingspace-request-<requestId>`, so the
 * webhook can route callbacks with no lookup. Callbacks arrive in batches (one signal carries many), which keeps a
 * 10,000-device request far below Temporal's 10,000-signals-per-run limit. When the callback wait (12 hours by
 * default) runs out, the devices still open are polled until settled or the poll deadline passes.
 */
import { msToNumber } from '@temporalio/common';
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { RequestPhase, RequestProgress, RequestResult, RequestWorkflowInput } from '../activation/model.js';
import { HEARTBEAT_TIMEOUT } from '../activation/activity-timing.js';
import { PROGRESS_MEMO, publishedProgress } from '../activation/progress-memo.js';
import type { Activities } from '../activities/index.js';
import { ActivationPhase, DeviceCount, finalCountAttributes, ThingSpaceAccount } from '../search-attributes.js';
import { MAX_DEVICES_PER_ACTIVATE } from '../thingspace/schemas/limits.js';
import { claimInboxSignal, inboxWorkflowId, releaseInboxSignal } from './inbox.js';
import { memoOnChange } from './memo-on-change.js';
import { RequestLedger } from './request-ledger.js';
import { callbacksSignal, requestProgressQuery, requestReportQuery } from './request-messages.js';

export { callbacksSignal, requestProgressQuery, requestReportQuery, requestWorkflowId } from './request-messages.js';

/**
 * Devices per report page, as ActivationClient.report and the CLI hand them out (and the most an older worker's
 * `report` query answered). A device settled by callback is about 600 bytes of JSON, so 1,000 a page came to
 * 588–638 KB and tripped Temporal's 512 KB payload warning in the scale tests; 500 is about 320 KB.
 */
export const REPORT_PAGE_LIMIT = 500;
/**
 * Devices a `report` query (of a request, or of a job for the devices it settled itself) answers at most: a whole
 * request. A query on a closed workflow replays its whole history, so reading a request 500 at a time replayed it
 * 20 times; ActivationClient.report asks for 5,000 (REPORT_READ_DEVICES). A larger answer goes through the codecs
 * and, above its threshold, to the store by External Storage, like any large payload.
 */
export const REPORT_QUERY_LIMIT = MAX_DEVICES_PER_ACTIVATE;
export const DEFAULT_CALLBACK_TIMEOUT = '12 hours';
export const DEFAULT_POLL_INTERVAL = '15 minutes';
export const DEFAULT_POLL_DEADLINE = '12 hours';
const NOT_ACTIVATED_IN_RESULT = 100;
/** History events per run before continuing as new; Temporal warns at 10,240 and fails at 51,200. */
export const DEFAULT_HISTORY_LIMIT = 8_000;

/**
 * Per-device history look-ups per poll: enough that every open device is looked at within the window. Per job: a
 * request that knows its job's size (`jobDevices`) takes its share.
 */
export const MIN_HISTORY_LOOKUPS = 200;

const { pollDevices, findInboxes } = proxyActivities<Activities>({
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: HEARTBEAT_TIMEOUT,
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '2 minutes', maximumAttempts: 5 },
});

export async function activationRequest(input: RequestWorkflowInput): Promise<RequestResult> {
  const carried = input.carried;
  const ledger = new RequestLedger(input.devices, carried?.ledger);
  let phase: RequestPhase = carried?.phase ?? (input.answerLost ? 'awaiting-evidence' : 'awaiting-callbacks');
  const callbacks = carried?.callbacks ?? { applied: 0, duplicates: 0, unknown: 0, late: 0, signals: 0 };
  /** The ThingSpace requestId of a request whose answer was lost, once its callbacks revealed it. */
  let adoptedRequestId = carried?.adoptedRequestId;
  let evidence = carried?.evidence ?? false;

  // Runs started before this patch ended without the NIDD result of an NB-IoT device whose line failed.
  const awaitFailedNidd = patched('nidd-after-carrier-failure');
  const progress = (): RequestProgress => ({
    requestId: input.requestId,
    ...(adoptedRequestId !== undefined && { adoptedRequestId }),
    phase,
    counts: ledger.counts(),
    ...(awaitFailedNidd && ledger.awaitingNidd() > 0 && { awaitingNidd: ledger.awaitingNidd() }),
    callbacks,
    notActivatedGroups: ledger.notActivatedGroups(),
  });
  /** Every outcome known, and every NiddService callback that ThingSpace still owes in. */
  const callbacksIn = () => ledger.allSettled() && (!awaitFailedNidd || ledger.awaitingNidd() === 0);

  // Runs started before this patch published nothing: `status` asked each open request, a whole replay of it when
  // the worker had not cached it. One upsert per change, an event each: once per workflow task at most.
  const publishes = patched('progress-memo');
  const upsertOnChange = memoOnChange();
  let publishQueued = false;
  const publish = () => {
    publishQueued = false;
    upsertOnChange({ [PROGRESS_MEMO]: publishedProgress(progress()) });
  };
  /** After everything this task brings (all its signals) has been applied: one upsert, not one a signal. */
  const publishSoon = () => {
    if (!publishes || publishQueued) return;
    publishQueued = true;
    void Promise.resolve().then(publish);
  };
  const enterPhase = (next: RequestPhase) => {
    phase = next;
    upsertSearchAttributes([{ key: ActivationPhase, value: phase }]);
    publishSoon();
  };

  setHandler(callbacksSignal, (records) => {
    callbacks.signals++;
    if (phase === 'done') {
      callbacks.late += records.length;
      return;
    }
    const applied = ledger.apply(records);
    callbacks.applied += applied.applied;
    callbacks.duplicates += applied.duplicates;
    callbacks.unknown += applied.unknown;
    publishSoon();
  });
  setHandler(requestProgressQuery, progress);
  setHandler(requestReportQuery, ({ offset, limit }) =>
    ledger.page(Math.max(0, offset), Math.min(Math.max(0, limit), REPORT_QUERY_LIMIT)),
  );

  upsertSearchAttributes([
    { key: ActivationPhase, value: phase },
    { key: DeviceCount, value: ledger.size },
    { key: ThingSpaceAccount, value: input.accountName },
  ]);
  publishSoon();

  // Callbacks that arrived before this workflow existed wait in the request's inbox: claim them.
  const inboxes = [inboxWorkflowId(input.requestId), ...(adoptedRequestId ? [inboxWorkflowId(adoptedRequestId)] : [])];
  const claimInboxes = patched('claim-inbox');
  // Not awaited here: the claim goes out with the first timer, and is awaited before the end.
  const claiming =
    claimInboxes && !carried && !input.answerLost ? signalInbox(inboxes[0]!, claimInboxSignal) : undefined;

  // Callbacks trickling in one by one over hours would each be a signal: past the history limit, the state moves
  // to a fresh run, which keeps every run far from Temporal's 10,000-signal and 51,200-event limits.
  const historyLimit = input.historyLimit ?? DEFAULT_HISTORY_LIMIT;
  const mustContinue = () => workflowInfo().historyLength >= historyLimit || workflowInfo().continueAsNewSuggested;
  const callbackTimeout = input.callbackTimeout ?? DEFAULT_CALLBACK_TIMEOUT;
  const callbackDeadline =
    carried?.callbackDeadline ?? Date.now() + (callbackTimeout === 0 ? 0 : msToNumber(callbackTimeout));
  let pollDeadline = carried?.pollDeadline;
  const interval = msToNumber(input.pollInterval ?? DEFAULT_POLL_INTERVAL);
  const continueWithState = async (): Promise<never> => {
    await condition(allHandlersFinished);
    return continueAsNew<typeof activationRequest>({
      ...input,
      carried: {
        phase: phase === 'done' ? 'polling' : phase,
        callbackDeadline,
        ...(pollDeadline !== undefined && { pollDeadline }),
        ...(adoptedRequestId !== undefined && { adoptedRequestId }),
        evidence,
        callbacks,
        ledger: ledger.snapshot(),
        runs: (carried?.runs ?? 1) + 1,
      },
    });
  };
  /** The job's minimum of history look-ups a poll, this request's share of it by size. */
  const minHistory =
    input.jobDevices !== undefined && input.jobDevices > ledger.size
      ? Math.ceil((MIN_HISTORY_LOOKUPS * ledger.size) / input.jobDevices)
      : MIN_HISTORY_LOOKUPS;
  /** History look-ups per poll, so that every open device is looked at about once per callback window. */
  const historyPerPoll = Math.max(
    minHistory,
    Math.ceil(ledger.size / Math.max(1, (callbackDeadline - Date.now()) / interval)),
  );

  // The activate answer was lost. ThingSpace takes or refuses a request as a whole, so any sign that it acted on
  // one device (state, history, or a callback naming one) means it took all of them. Nothing is ever resent: we
  // watch for such a sign over the whole activation window, for every device, and look for the inbox whose
  // callbacks name our devices: it reveals the requestId, and from then on the request is followed like any other,
  // by its callbacks (polls during the watch only look for evidence; they settle nothing before the window ends).
  const adoptFromInbox = async () => {
    if (!input.answerLost || adoptedRequestId !== undefined) return;
    const devices = ledger.unsettled().map(({ key, deviceIds }) => ({ key, deviceIds }));
    const { requestIds } = await findInboxes({ devices }).catch((err: unknown) => {
      log.warn('looking for the callbacks of a request whose answer was lost failed', { error: String(err) });
      return { requestIds: [] as string[] };
    });
    const requestId = requestIds[0];
    if (requestId === undefined) return;
    adoptedRequestId = requestId;
    inboxes.push(inboxWorkflowId(requestId));
    log.info('callbacks revealed the requestId of a request whose answer was lost', {
      requestId: input.requestId,
      adoptedRequestId: requestId,
    });
    await signalInbox(inboxWorkflowId(requestId), claimInboxSignal);
    evidence = true;
  };
  const waitForCallbacks = (ms: number) =>
    condition(() => callbacksIn() || mustContinue() || (!evidence && ledger.heardAny()), Math.max(0, ms));

  while (phase === 'awaiting-evidence') {
    evidence ||= ledger.heardAny();
    if (evidence) {
      enterPhase('awaiting-callbacks');
      break;
    }
    if (Date.now() >= callbackDeadline) break;
    if (mustContinue()) return continueWithState();
    await adoptFromInbox();
    if (!evidence) evidence = (await pollOnce(input, ledger, historyPerPoll, false)).evidence;
    if (!evidence) await waitForCallbacks(Math.min(interval, callbackDeadline - Date.now()));
  }

  if (phase === 'awaiting-evidence') {
    ledger.closeOpen(
      'unconfirmed',
      'the activate answer was lost, and no sign that ThingSpace acted on the request appeared during the activation window',
    );
  }

  while (phase === 'awaiting-callbacks' && !callbacksIn()) {
    const remaining = callbackDeadline - Date.now();
    if (remaining <= 0) break;
    if (input.answerLost && adoptedRequestId === undefined) {
      // Taken, but its callbacks have not shown up yet: keep looking for them until the window ends.
      await waitForCallbacks(Math.min(interval, remaining));
      if (!ledger.allSettled() && !mustContinue()) await adoptFromInbox();
    } else {
      await condition(() => callbacksIn() || mustContinue(), remaining);
    }
    if (!callbacksIn() && mustContinue()) return continueWithState();
  }

  if (!ledger.allSettled()) {
    if (phase !== 'polling') enterPhase('polling');
    pollDeadline ??= Date.now() + msToNumber(input.pollDeadline ?? DEFAULT_POLL_DEADLINE);
    // Callbacks still count while polling: whichever settles a device first wins.
    while (!ledger.allSettled() && Date.now() < pollDeadline) {
      if (mustContinue()) return continueWithState();
      await pollOnce(input, ledger, historyPerPoll, true);
      publishSoon();
      const remaining = pollDeadline - Date.now();
      if (ledger.allSettled() || remaining <= 0) break;
      await condition(() => ledger.allSettled() || mustContinue(), Math.min(interval, remaining));
    }
  }
  const releaseInboxes = async () => {
    await claiming;
    if (claimInboxes) for (const inbox of inboxes) await signalInbox(inbox, releaseInboxSignal);
  };
  // Runs before this patch released the inboxes once their report was final: a batch that came while the inboxes
  // answered was counted late and kept nowhere. Now the report closes in the same task as the run, so only a batch
  // that comes during that last task is late (what comes after goes to a late inbox, see src/workflows/inbox.ts).
  const releaseFirst = patched('release-inboxes-before-close');
  if (releaseFirst) await releaseInboxes();
  ledger.closeUnresolved('no callback, and polling could not establish an outcome before the poll deadline');
  enterPhase('done');
  if (!releaseFirst) await releaseInboxes();

  const counts = ledger.counts();
  upsertSearchAttributes(finalCountAttributes(counts));
  const notActivated = ledger.failures(NOT_ACTIVATED_IN_RESULT + 1);
  return {
    ...progress(),
    notActivated: notActivated.slice(0, NOT_ACTIVATED_IN_RESULT),
    notActivatedTruncated: notActivated.length > NOT_ACTIVATED_IN_RESULT,
  };
}

/** Best effort: an inbox that does not exist (no early callback came) or has closed needs nothing. */
async function signalInbox(
  workflowId: string,
  signal: typeof claimInboxSignal | typeof releaseInboxSignal,
): Promise<void> {
  try {
    const handle = getExternalWorkflowHandle(workflowId);
    if (signal === releaseInboxSignal) await handle.signal(releaseInboxSignal);
    else await handle.signal(claimInboxSignal, { workflowId: workflowInfo().workflowId });
  } catch (err) {
    if (isCancellation(err)) throw err;
  }
}

/**
 * One poll of the open devices; `evidence` says whether any showed that ThingSpace acted on the request. With
 * `settle` false (the watch over a lost answer) nothing is settled: callbacks come first, as for any request.
 */
async function pollOnce(
  input: RequestWorkflowInput,
  ledger: RequestLedger,
  historyPerPoll: number,
  settle: boolean,
): Promise<{ evidence: boolean }> {
  try {
    const devices = ledger.unsettled().map(({ key, deviceIds }) => ({ key, deviceIds }));
    const historyKeys = ledger.historyBatch(historyPerPoll).map(({ key }) => key);
    const { settled, evidence } = await pollDevices({
      accountName: input.accountName,
      devices,
      historyKeys,
      submittedAt: input.submittedAt,
    });
    if (settle) for (const { key, ...report } of settled) ledger.settleFromPoll(key, report);
    return { evidence: settled.length > 0 || (evidence?.length ?? 0) > 0 };
  } catch (err) {
    // A failed poll is not the end: the next one may work, and the deadline bounds the whole.
    log.warn('poll failed', { requestId: input.requestId, error: err instanceof Error ? err.message : String(err) });
    return { evidence: false };
  }
}
