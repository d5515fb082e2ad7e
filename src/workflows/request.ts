/**
 * One workflow per ThingSpace activate request (≤ 10,000 devices), ID `thingspace-request-<requestId>`, so the
 * webhook can route callbacks with no lookup. Callbacks arrive in batches (one signal carries many), which keeps a
 * 10,000-device request far below Temporal's 10,000-signals-per-run limit.
 */
import { condition, defineQuery, defineSignal, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type {
  CallbackRecord,
  DeviceReport,
  ReportPageRequest,
  RequestPhase,
  RequestProgress,
  RequestResult,
  RequestWorkflowInput,
} from '../activation/model.js';
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
const NOT_ACTIVATED_IN_RESULT = 100;

export function requestWorkflowId(requestId: string): string {
  return `thingspace-request-${requestId}`;
}

export async function activationRequest(input: RequestWorkflowInput): Promise<RequestResult> {
  const ledger = new RequestLedger(input.devices);
  let phase: RequestPhase = 'awaiting-callbacks';
  const callbacks = { applied: 0, duplicates: 0, unknown: 0, late: 0, signals: 0 };

  const progress = (): RequestProgress => ({ requestId: input.requestId, phase, counts: ledger.counts(), callbacks });

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
    ...(input.accountName ? [{ key: ThingSpaceAccount, value: input.accountName }] : []),
  ]);

  await condition(() => ledger.allSettled(), input.callbackTimeout ?? '12 hours');
  ledger.closeUnresolved('no callback before the callback timeout');
  phase = 'done';

  const counts = ledger.counts();
  upsertSearchAttributes([
    { key: ActivationPhase, value: phase },
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
