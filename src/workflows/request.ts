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
  defineQuery,
  defineSignal,
  log,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type {
  CallbackRecord,
  DeviceReport,
  ReportPageRequest,
  RequestPhase,
  RequestProgress,
  RequestResult,
  RequestWorkflowInput,
} from '../activation/model.js';
import { HEARTBEAT_TIMEOUT } from '../activation/activity-timing.js';
import type { Activities } from '../activities/index.js';
import {
  ActivationPhase,
  DeviceCount,
  DevicesActivated,
  DevicesFailed,
  ThingSpaceAccount,
} from '../search-attributes.js';
import { RequestLedger } from './request-ledger.js';

export const callbacksSignal = defineSignal<[CallbackRecord[]]>('callbacks');
export const requestProgressQuery = defineQuery<RequestProgress>('progress');
export const requestReportQuery = defineQuery<DeviceReport[], [ReportPageRequest]>('report');

export const REPORT_PAGE_LIMIT = 1_000;
export const DEFAULT_CALLBACK_TIMEOUT = '12 hours';
export const DEFAULT_POLL_INTERVAL = '15 minutes';
export const DEFAULT_POLL_DEADLINE = '12 hours';
const NOT_ACTIVATED_IN_RESULT = 100;
/** History events per run before continuing as new; Temporal warns at 10,240 and fails at 51,200. */
export const DEFAULT_HISTORY_LIMIT = 8_000;

const { pollDevices } = proxyActivities<Activities>({
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: HEARTBEAT_TIMEOUT,
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '2 minutes', maximumAttempts: 5 },
});

export function requestWorkflowId(requestId: string): string {
  return `thingspace-request-${requestId}`;
}

export async function activationRequest(input: RequestWorkflowInput): Promise<RequestResult> {
  const carried = input.carried;
  const ledger = new RequestLedger(input.devices, carried?.ledger);
  let phase: RequestPhase = carried?.phase ?? 'awaiting-callbacks';
  const callbacks = carried?.callbacks ?? { applied: 0, duplicates: 0, unknown: 0, late: 0, signals: 0 };

  const progress = (): RequestProgress => ({ requestId: input.requestId, phase, counts: ledger.counts(), callbacks });
  const enterPhase = (next: RequestPhase) => {
    phase = next;
    upsertSearchAttributes([{ key: ActivationPhase, value: phase }]);
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
  });
  setHandler(requestProgressQuery, progress);
  setHandler(requestReportQuery, ({ offset, limit }) =>
    ledger.page(Math.max(0, offset), Math.min(Math.max(0, limit), REPORT_PAGE_LIMIT)),
  );

  upsertSearchAttributes([
    { key: ActivationPhase, value: phase },
    { key: DeviceCount, value: ledger.size },
    { key: ThingSpaceAccount, value: input.accountName },
  ]);

  // Callbacks trickling in one by one over hours would each be a signal: past the history limit, the state moves
  // to a fresh run, which keeps every run far from Temporal's 10,000-signal and 51,200-event limits.
  const historyLimit = input.historyLimit ?? DEFAULT_HISTORY_LIMIT;
  const mustContinue = () => workflowInfo().historyLength >= historyLimit || workflowInfo().continueAsNewSuggested;
  const callbackTimeout = input.callbackTimeout ?? DEFAULT_CALLBACK_TIMEOUT;
  const callbackDeadline =
    carried?.callbackDeadline ?? Date.now() + (callbackTimeout === 0 ? 0 : msToNumber(callbackTimeout));
  let pollDeadline = carried?.pollDeadline;
  const continueWithState = async (): Promise<never> => {
    await condition(allHandlersFinished);
    return continueAsNew<typeof activationRequest>({
      ...input,
      carried: {
        phase: phase === 'polling' ? 'polling' : 'awaiting-callbacks',
        callbackDeadline,
        ...(pollDeadline !== undefined && { pollDeadline }),
        callbacks,
        ledger: ledger.snapshot(),
        runs: (carried?.runs ?? 1) + 1,
      },
    });
  };

  while (phase === 'awaiting-callbacks' && !ledger.allSettled()) {
    const remaining = callbackDeadline - Date.now();
    if (remaining <= 0) break;
    await condition(() => ledger.allSettled() || mustContinue(), remaining);
    if (!ledger.allSettled() && mustContinue()) return continueWithState();
  }

  if (!ledger.allSettled()) {
    if (phase !== 'polling') enterPhase('polling');
    pollDeadline ??= Date.now() + msToNumber(input.pollDeadline ?? DEFAULT_POLL_DEADLINE);
    const interval = msToNumber(input.pollInterval ?? DEFAULT_POLL_INTERVAL);
    // Callbacks still count while polling: whichever settles a device first wins.
    while (!ledger.allSettled() && Date.now() < pollDeadline) {
      if (mustContinue()) return continueWithState();
      await pollOnce(input, ledger);
      const remaining = pollDeadline - Date.now();
      if (ledger.allSettled() || remaining <= 0) break;
      await condition(() => ledger.allSettled() || mustContinue(), Math.min(interval, remaining));
    }
  }
  ledger.closeUnresolved('no callback, and polling could not establish an outcome before the poll deadline');
  enterPhase('done');

  const counts = ledger.counts();
  upsertSearchAttributes([
    { key: DevicesActivated, value: counts.activated },
    { key: DevicesFailed, value: counts.failed },
  ]);
  const notActivated = ledger.failures(NOT_ACTIVATED_IN_RESULT + 1);
  return {
    ...progress(),
    notActivated: notActivated.slice(0, NOT_ACTIVATED_IN_RESULT),
    notActivatedTruncated: notActivated.length > NOT_ACTIVATED_IN_RESULT,
  };
}

async function pollOnce(input: RequestWorkflowInput, ledger: RequestLedger): Promise<void> {
  try {
    const devices = ledger.unsettled().map(({ key, deviceIds }) => ({ key, deviceIds }));
    const { settled } = await pollDevices({ accountName: input.accountName, devices, submittedAt: input.submittedAt });
    for (const { key, ...report } of settled) ledger.settleFromPoll(key, report);
  } catch (err) {
    // A failed poll is not the end: the next one may work, and the deadline bounds the whole.
    log.warn('poll failed', { requestId: input.requestId, error: err instanceof Error ? err.message : String(err) });
  }
}
