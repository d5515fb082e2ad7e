/** CarrierService callback bodies shaped like ThingSpace's (and the simulator's), serialised once up front. */
import type { ExpectedDevice } from '../../src/activation/model.js';

export const LISTENER = { username: 'bench-user', password: 'bench-listener-password' };

function device(request: number, n: number) {
  const serial = `${request}${String(n).padStart(6, '0')}`;
  return { imei: `35${serial.padStart(13, '0')}`, iccid: `8914${serial.padStart(16, '0')}` };
}

export function expectedDevices(request: number, count: number): ExpectedDevice[] {
  return Array.from({ length: count }, (_, n) => {
    const { imei, iccid } = device(request, n);
    return {
      key: `imei:${imei}`,
      deviceIds: [
        { kind: 'imei', id: imei },
        { kind: 'iccid', id: iccid },
      ],
    };
  });
}

export function callbackBody(requestId: string, request: number, n: number): string {
  const { imei, iccid } = device(request, n);
  const mdn = `50${imei.slice(-8)}`;
  return JSON.stringify({
    ...LISTENER,
    requestId,
    deviceIds: [
      { id: imei, kind: 'IMEI' },
      { id: iccid, kind: 'ICCID' },
    ],
    deviceResponse: {
      activateResponse: {
        deviceIds: [
          { id: mdn, kind: 'mdn' },
          { id: `3114801${imei.slice(-8)}`, kind: 'imsi' },
          { id: iccid, kind: 'iccId' },
          { id: `1${mdn}`, kind: 'msisdn' },
          { id: mdn, kind: 'min' },
        ],
        ipAddress: '10.224.48.88',
        state: 'Active',
        servicePlan: '4G-IoT-1GB',
        featureCodes: [],
        deviceCredential: { username: `${mdn}@vzw3g.com`, password: mdn },
      },
    },
    status: 'Success',
    callbackCount: 1,
    maxCallbackThreshold: 4,
  });
}
