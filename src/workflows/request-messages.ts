/**
 * The request workflow's ID and messages, apart from its code so that the inbox and the webhook can use them
 * without importing the workflow itself.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { CallbackRecord, DeviceReport, ReportPageRequest, RequestProgress } from '../activation/model.js';

export const callbacksSignal = defineSignal<[CallbackRecord[]]>('callbacks');
export const requestProgressQuery = defineQuery<RequestProgress>('progress');
export const requestReportQuery = defineQuery<DeviceReport[], [ReportPageRequest]>('report');

export function requestWorkflowId(requestId: string): string {
  return `thingspace-request-${requestId}`;
}
