import { describe, expect, it } from '@jest/globals';
import { CallbackRecordSchema } from '../../src/activation/model.js';
import { parseCallback } from '../../src/thingspace/schemas/index.js';
import { toCallbackRecord } from '../../src/webhook/to-record.js';
import { DEVICE_PASSWORD, LISTENER, carrierBody, niddBody, testDevice } from './fixtures.js';

const device = testDevice(7);
const record = (body: unknown) => toCallbackRecord(parseCallback(body));

describe('toCallbackRecord', () => {
  it('maps a successful CarrierService callback and keeps no secret and no unknown field', () => {
    const r = record(carrierBody('req-1', device, { vendorExtension: { token: 'x' } }));
    expect(r).toEqual({
      service: 'CarrierService',
      deviceIds: [
        { kind: 'imei', id: device.imei },
        { kind: 'iccid', id: device.iccid },
      ],
      success: true,
      status: 'Success',
      callbackCount: 1,
      assignedIds: [
        { kind: 'mdn', id: `50${device.imei.slice(-8)}` },
        { kind: 'iccid', id: device.iccid },
      ],
      ipAddress: '10.224.48.88',
      state: 'Active',
      servicePlan: '4G-IoT-1GB',
    });
    expect(CallbackRecordSchema.parse(r)).toEqual(r);
    const text = JSON.stringify(r);
    for (const secret of [LISTENER.password, DEVICE_PASSWORD, LISTENER.username, 'vendorExtension']) {
      expect(text).not.toContain(secret);
    }
  });

  it('takes the failure reason from `reason`, else from the fault response, and drops empty identifiers', () => {
    const failed = record(
      carrierBody('req-1', device, {
        status: 'Failed',
        reason: 'Device not eligible for plan',
        deviceResponse: { activateResponse: { deviceIds: [{ kind: 'mdn', id: '' }], state: 'Deactive' } },
      }),
    );
    expect(failed).toMatchObject({ success: false, status: 'Failed', reason: 'Device not eligible for plan' });
    expect(failed?.assignedIds).toEqual([]);
    const faulted = record(
      carrierBody('req-1', device, {
        status: 'FAILED',
        deviceResponse: null,
        faultResponse: { faultcode: 'REQUEST_FAILED.ActivationFailed', faultstring: 'MDN pool exhausted' },
      }),
    );
    expect(faulted).toMatchObject({ success: false, reason: 'MDN pool exhausted', assignedIds: [] });
    expect(CallbackRecordSchema.safeParse(faulted).success).toBe(true);
  });

  it('maps NiddService results, naming the device by the NIDD identifiers', () => {
    expect(record(niddBody('req-1', device))).toEqual({
      service: 'NiddService',
      deviceIds: [
        { kind: 'eid', id: `8904${device.imei}` },
        { kind: 'imei', id: device.imei },
      ],
      success: true,
      status: 'ConfigCreated',
      callbackCount: 1,
      assignedIds: [],
    });
    expect(record(niddBody('req-1', device, 'ConfigFailed'))).toMatchObject({
      success: false,
      reason: 'Not CatM or NBIoT Device',
    });
  });

  it('returns undefined when no identifier has a value', () => {
    expect(record(carrierBody('req-1', device, { deviceIds: [{ kind: 'IMEI', id: ' ' }] }))).toBeUndefined();
  });
});
