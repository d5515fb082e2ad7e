/** Starting request workflows for webhook tests, and reading what their history really holds. */
import type { WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { ExpectedDevice } from '../../src/activation/model.js';
import { dataConverter } from '../../src/temporal/connection.js';
import { deviceKey } from '../../src/thingspace/schemas/device-key.js';
import { activationRequest, requestWorkflowId } from '../../src/workflows/request.js';
import type { TestTemporal } from '../harness/temporal.js';
import type { TestDevice } from './fixtures.js';

export const ACCOUNT = '0868924207-00001';

export function expected(deviceIds: { kind: string; id: string }[], nbIot = false): ExpectedDevice {
  return { key: deviceKey(deviceIds) as string, deviceIds, ...(nbIot && { nbIot }) };
}

export const expectedTest = (d: TestDevice) =>
  expected([
    { kind: 'imei', id: d.imei },
    { kind: 'iccid', id: d.iccid },
  ]);

export function startRequest(
  temporal: TestTemporal,
  taskQueue: string,
  requestId: string,
  devices: ExpectedDevice[],
): Promise<WorkflowHandle<typeof activationRequest>> {
  return temporal.client.workflow.start(activationRequest, {
    workflowId: requestWorkflowId(requestId),
    taskQueue,
    args: [
      {
        requestId,
        accountName: ACCOUNT,
        submittedAt: new Date().toISOString(),
        devices,
        // Long enough that only callbacks settle devices: these workers run no polling activity.
        callbackTimeout: '10 minutes',
      },
    ],
  });
}

/** The decoded `callbacks` signal payloads in the workflow's history, exactly as Temporal stores them. */
export async function signalledRecords(handle: WorkflowHandle): Promise<unknown[]> {
  const history = await handle.fetchHistory();
  const out: unknown[] = [];
  for (const event of history.events ?? []) {
    const attributes = event.workflowExecutionSignaledEventAttributes;
    if (!attributes) continue;
    let payloads = attributes.input?.payloads ?? [];
    for (const codec of [...(dataConverter.payloadCodecs ?? [])].reverse()) payloads = await codec.decode(payloads);
    for (const payload of payloads) out.push(...(defaultPayloadConverter.fromPayload(payload) as unknown[]));
  }
  return out;
}
