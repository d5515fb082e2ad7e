import { describe, expect, it } from '@jest/globals';
import { temporal as proto } from '@temporalio/proto';
import type { CallbackRecord, ExpectedDevice } from '../../src/activation/model.js';
import { activationRequest, callbacksSignal, requestWorkflowId } from '../../src/workflows/request.js';
import { payloadsIn } from '../../src/temporal/history-payloads.js';
import { uniqueTaskQueue, withWorker } from '../harness/temporal.js';
import { useTestTemporal } from '../harness/test-temporal.js';

const temporal = useTestTemporal();

// Temporal's warning thresholds (the hard limits are 51,200 events, 50 MB and 2 MB).
const HISTORY_EVENTS_WARNING = 10_240;
const HISTORY_BYTES_WARNING = 10 * 1024 * 1024;
const PAYLOAD_BYTES_WARNING = 512 * 1024;

const imei = (n: number) => `35${String(n).padStart(13, '0')}`;

/** What the webhook signals for one successful 4G activation: realistic sizes for history measurements. */
function callback(n: number): CallbackRecord {
  return {
    service: 'CarrierService',
    deviceIds: [{ kind: 'IMEI', id: imei(n) }],
    success: true,
    status: 'Success',
    assignedIds: [
      { kind: 'mdn', id: `509${String(n).padStart(7, '0')}` },
      { kind: 'imsi', id: `3114801${String(n).padStart(8, '0')}` },
      { kind: 'iccId', id: `891480000${String(n).padStart(11, '0')}` },
      { kind: 'msisdn', id: `1509${String(n).padStart(7, '0')}` },
      { kind: 'min', id: `23${String(n).padStart(8, '0')}` },
    ],
    ipAddress: `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`,
    state: 'Active',
    servicePlan: '4G-IoT-1GB',
    callbackCount: 1,
  };
}

function largestPayload(history: proto.api.history.v1.IHistory): number {
  let largest = 0;
  for (const payload of payloadsIn(history.events)) {
    largest = Math.max(largest, proto.api.common.v1.Payload.encode(payload).finish().length);
  }
  return largest;
}

describe('a 10,000-device request', () => {
  it('settles every device from 20 batched signals and stays under every Temporal warning threshold', async () => {
    const devices: ExpectedDevice[] = Array.from({ length: 10_000 }, (_, n) => ({
      key: `imei:${imei(n)}`,
      deviceIds: [
        { kind: 'imei', id: imei(n) },
        { kind: 'iccid', id: `891480000${String(n).padStart(11, '0')}` },
      ],
    }));
    const requestId = `req-10k-${Date.now()}`;
    const taskQueue = uniqueTaskQueue('scale');
    const { result, history } = await withWorker(taskQueue, async () => {
      const handle = await temporal.client.workflow.start(activationRequest, {
        taskQueue,
        workflowId: requestWorkflowId(requestId),
        args: [{ requestId, accountName: '0000000000-00001', submittedAt: new Date().toISOString(), devices }],
      });
      for (let start = 0; start < 10_000; start += 500) {
        await handle.signal(
          callbacksSignal,
          Array.from({ length: 500 }, (_, i) => callback(start + i)),
        );
      }
      const result = await handle.result();
      return { result, history: await handle.fetchHistory() };
    });

    expect(result.counts).toMatchObject({ total: 10_000, activated: 10_000, pending: 0 });
    expect(result.callbacks).toMatchObject({ applied: 10_000, signals: 20 });

    const events = history.events?.length ?? 0;
    const bytes = proto.api.history.v1.History.encode(history).finish().length;
    const payload = largestPayload(history);
    console.log(`10,000-device request: ${events} history events, ${bytes} bytes, largest payload ${payload} bytes`);
    expect(events).toBeLessThan(HISTORY_EVENTS_WARNING);
    expect(bytes).toBeLessThan(HISTORY_BYTES_WARNING);
    expect(payload).toBeLessThan(PAYLOAD_BYTES_WARNING);
  }, 120_000);
});
