import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generateSeed, ErrorCodes } from '../../src/simulator/index.js';
import { DEFAULT_ACCOUNT, openSession, type ApiSession } from './helpers.js';

interface ListBody {
  hasMoreData: boolean;
  devices: {
    accountName: string;
    deviceIds: { kind: string; id: string }[];
    carrierInformations: { state: string }[];
    extendedAttributes: { key: string; value: string }[];
    createdAt: string;
  }[];
}

const cursor = (d: ListBody['devices'][number]) => d.extendedAttributes.find((a) => a.key === 'DeviceId')?.value;

describe('simulator devices list', () => {
  let api: ApiSession;
  const seed = generateSeed({ count: 2_600, accounts: [DEFAULT_ACCOUNT, '0000000002-00001'], notInAccountShare: 0.05 });
  // The user reaches only the first account: the second one's devices must never show up.
  seed.users[0]!.accountNames = [DEFAULT_ACCOUNT];
  const listed = seed.devices.filter((d) => d.accountName === DEFAULT_ACCOUNT && d.inAccount !== false);

  beforeAll(async () => {
    api = await openSession({ seed, config: { listPageSize: 500 } });
  });
  afterAll(() => api.sim.close());

  it('pages through 2,500+ devices oldest first: 202 while more, 200 on the last page', async () => {
    const statuses: number[] = [];
    const seen: string[] = [];
    let largestDeviceIdSeen: string | undefined;
    for (;;) {
      const page = await api.post<ListBody>('/m2m/v1/devices/actions/list', {
        accountName: DEFAULT_ACCOUNT,
        ...(largestDeviceIdSeen ? { largestDeviceIdSeen } : {}),
      });
      statuses.push(page.statusCode);
      expect(page.statusCode).toBe(page.body.hasMoreData ? 202 : 200);
      for (const d of page.body.devices) seen.push(cursor(d)!);
      if (!page.body.hasMoreData) break;
      largestDeviceIdSeen = cursor(page.body.devices.at(-1)!);
    }
    expect(listed.length).toBeGreaterThan(2_400);
    expect(statuses).toEqual([...Array<number>(Math.ceil(listed.length / 500) - 1).fill(202), 200]);
    expect(seen).toHaveLength(listed.length);
    expect(new Set(seen).size).toBe(seen.length);
    const numeric = seen.map(Number);
    expect(numeric).toEqual([...numeric].sort((a, b) => a - b));
  });

  it('reports the state in carrierInformations with kinds spelled as real payloads do', async () => {
    const page = await api.post<ListBody>('/m2m/v1/devices/actions/list', { maxNumberOfDevices: 30 });
    expect(page.statusCode).toBe(202);
    expect(page.body.devices).toHaveLength(30);
    const kinds = new Set(page.body.devices.flatMap((d) => d.deviceIds.map((i) => i.kind)));
    expect([...kinds]).toEqual(expect.arrayContaining(['imei', 'IMEI', 'iccId', 'ICCID']));
    for (const d of page.body.devices)
      expect(d.carrierInformations[0]!.state).toMatch(/^(pre-?active|active|deactive|suspend)$/);
  });

  it('filters by deviceId, identifier prefix/suffix and state (pre-active equals preactive)', async () => {
    const target = listed[7]!;
    const imei = target.deviceIds.find((d) => d.kind.toLowerCase() === 'imei')!;
    const byId = await api.post<ListBody>('/m2m/v1/devices/actions/list', {
      deviceId: { kind: 'IMEI', id: imei.id },
    });
    expect(byId.statusCode).toBe(200);
    expect(byId.body.devices).toHaveLength(1);
    expect(byId.body.devices[0]!.deviceIds).toEqual(expect.arrayContaining([imei]));

    const suffix = await api.post<ListBody>('/m2m/v1/devices/actions/list', {
      filter: {
        deviceIdentifierFilters: [
          { kind: 'imei', contains: '', startswith: imei.id.slice(0, 9), endswith: imei.id.slice(-3) },
        ],
      },
    });
    expect(suffix.body.devices.map(cursor)).toContain(byId.body.devices.map(cursor)[0]);
    expect(suffix.body.devices.length).toBeLessThan(10);

    const preactive = await api.post<ListBody>('/m2m/v1/devices/actions/list', { currentState: 'preactive' });
    const expected = listed.filter((d) => d.state === 'pre-active' || d.state === 'preactive').length;
    expect(preactive.body.devices.length).toBe(Math.min(500, expected));
    for (const d of preactive.body.devices) expect(d.carrierInformations[0]!.state).toMatch(/^pre-?active$/);
  });

  it('refuses an account the user cannot reach and a malformed filter', async () => {
    const other = await api.post('/m2m/v1/devices/actions/list', { accountName: '0000000002-00001' });
    expect(other.statusCode).toBe(400);
    expect(other.body).toMatchObject({ errorCode: ErrorCodes.accountInvalid });
    const bad = await api.post('/m2m/v1/devices/actions/list', { largestDeviceIdSeen: 'abc' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toMatchObject({ errorCode: 'UnifiedWebService.INPUT_INVALID.LargestDeviceIdSeen.Invalid' });
  });
});
