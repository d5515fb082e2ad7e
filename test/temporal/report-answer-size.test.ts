/**
 * A `report` answer as ActivationClient.report asks for it (REPORT_READ_DEVICES devices) stays under External
 * Storage's threshold once the codecs have gzipped it: above it, every read of a report would write a new object to
 * the store (about 58 MB per read of a million-device job, seen in the bench with gzip at level 1).
 */
import { describe, expect, it } from '@jest/globals';
import { defaultPayloadConverter } from '@temporalio/common';
import proto from '@temporalio/proto';
import type { DeviceReport } from '../../src/activation/model.js';
import { REPORT_READ_DEVICES } from '../../src/client.js';
import { ipAddress, lineNumbers } from '../../src/simulator/identifiers.js';
import { createRandom } from '../../src/simulator/rng.js';
import { payloadCodecsFromEnv } from '../../src/temporal/data-converter.js';
import { DEFAULT_EXTERNAL_STORAGE_THRESHOLD_BYTES } from '../../src/temporal/external-storage.js';
import { deviceKey } from '../../src/thingspace/schemas/device-key.js';
import { seedDevice } from '../harness/activation.js';

/** Devices settled by their callbacks, with what the simulator sends: random line numbers and addresses. */
function settledReports(count: number): DeviceReport[] {
  const random = createRandom(12);
  return Array.from({ length: count }, (_, i) => {
    const { deviceIds } = seedDevice(500_000 + i);
    const numbers = lineNumbers(random);
    return {
      key: deviceKey(deviceIds)!,
      deviceIds,
      assignedIds: [
        { kind: 'mdn', id: numbers.mdn },
        { kind: 'imsi', id: numbers.imsi },
        { kind: 'iccId', id: deviceIds[1]!.id },
        { kind: 'msisdn', id: numbers.msisdn },
        { kind: 'min', id: numbers.min },
      ],
      ipAddress: ipAddress(random),
      state: 'Active',
      servicePlan: '4G-IoT-1GB',
      source: 'callback',
      outcome: 'activated',
    };
  });
}

describe('a report answer', () => {
  it(`of ${REPORT_READ_DEVICES} settled devices stays inline: under External Storage's threshold, gzipped`, async () => {
    const payload = defaultPayloadConverter.toPayload(settledReports(REPORT_READ_DEVICES));
    let encoded = [payload];
    for (const codec of payloadCodecsFromEnv({})) encoded = await codec.encode(encoded);
    const bytes = proto.temporal.api.common.v1.Payload.encode(encoded[0]!).finish().length;
    console.info(
      `report answer of ${REPORT_READ_DEVICES} devices: ${payload.data?.length} bytes of JSON, ${bytes} gzipped`,
    );
    expect(bytes).toBeLessThan(DEFAULT_EXTERNAL_STORAGE_THRESHOLD_BYTES);
    // It was gzipped: plain, it would be far over.
    expect(payload.data!.length).toBeGreaterThan(4 * DEFAULT_EXTERNAL_STORAGE_THRESHOLD_BYTES);
  });
});
