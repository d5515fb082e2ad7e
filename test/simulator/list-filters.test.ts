/**
 * The simulator's list endpoint honours every filter it is sent (together), compares kinds and states without
 * regard to case, and counts the list calls it serves.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DEFAULT_APP, DEFAULT_USER } from '../../src/simulator/index.js';
import { seedDevice } from '../harness/activation.js';
import {
  hasFields,
  inGroup,
  matching,
  OTHER_ACCOUNT,
  selectionDevice,
  selectionSeed,
} from '../harness/selection-seed.js';
import { DEFAULT_ACCOUNT, openSession, type ApiSession } from './helpers.js';

interface ListBody {
  hasMoreData: boolean;
  devices: { deviceIds: { kind: string; id: string }[]; extendedAttributes: { key: string; value: string }[] }[];
}

const COUNT = 3_000;
const imeiOf = (n: number) => selectionDevice(n).deviceIds[0]!.id;

describe('simulator list filters', () => {
  let api: ApiSession;
  beforeAll(async () => {
    api = await openSession({
      seed: {
        apps: [DEFAULT_APP],
        users: [{ ...DEFAULT_USER, accountNames: [DEFAULT_ACCOUNT, OTHER_ACCOUNT] }],
        accounts: [DEFAULT_ACCOUNT, OTHER_ACCOUNT],
        devices: selectionSeed(COUNT),
      },
      config: { listPageSize: 500 },
    });
  });
  afterAll(() => api.sim.close());

  /** Every page of a filtered list: the IMEIs listed, and the list calls the simulator counted meanwhile. */
  async function listAll(filter: Record<string, unknown>): Promise<{ imeis: string[]; calls: number; pages: number }> {
    const before = api.sim.admin.listCalls();
    const imeis: string[] = [];
    let pages = 0;
    let largestDeviceIdSeen: string | undefined;
    for (;;) {
      const page = await api.post<ListBody>('/m2m/v1/devices/actions/list', {
        ...filter,
        ...(largestDeviceIdSeen !== undefined && { largestDeviceIdSeen }),
      });
      expect(page.statusCode).toBe(page.body.hasMoreData ? 202 : 200);
      pages++;
      for (const d of page.body.devices) imeis.push(d.deviceIds.find((i) => i.kind.toLowerCase() === 'imei')!.id);
      if (!page.body.hasMoreData) break;
      largestDeviceIdSeen = page.body.devices.at(-1)!.extendedAttributes.find((a) => a.key === 'DeviceId')!.value;
    }
    return { imeis, calls: api.sim.admin.listCalls() - before, pages };
  }

  const expectImeis = (listed: string[], numbers: number[]) => {
    expect(numbers.length).toBeGreaterThan(0);
    expect(listed).toEqual(numbers.map(imeiOf));
  };

  it('deviceId finds one device by any of its identifiers, whatever the spelling of the kind', async () => {
    const device = selectionDevice(1_234);
    for (const kind of ['imei', 'IMEI']) {
      expectImeis(
        (await listAll({ accountName: DEFAULT_ACCOUNT, deviceId: { kind, id: imeiOf(1_234) } })).imeis,
        [1_234],
      );
    }
    const iccid = device.deviceIds[1]!.id;
    expectImeis((await listAll({ deviceId: { kind: 'ICCID', id: iccid } })).imeis, [1_234]);
    expect((await listAll({ deviceId: { kind: 'imei', id: seedDevice(99_999).deviceIds[0]!.id } })).imeis).toEqual([]);
    // A kind the device has no identifier of does not match on the id alone.
    expect((await listAll({ deviceId: { kind: 'iccid', id: imeiOf(1_234) } })).imeis).toEqual([]);
  });

  it('currentState matches states case-insensitively, pre-active and preactive alike', async () => {
    const preActive = matching(COUNT, (seed) => /^pre-?active$/.test(seed.state!));
    for (const state of ['Pre-Active', 'PREACTIVE', 'pre-active']) {
      expectImeis((await listAll({ accountName: DEFAULT_ACCOUNT, currentState: state })).imeis, preActive);
    }
    expectImeis(
      (await listAll({ accountName: DEFAULT_ACCOUNT, currentState: 'ACTIVE' })).imeis,
      matching(COUNT, (seed) => seed.state === 'active'),
    );
  });

  it('groupName and customFields (every pair; field names in any case) select exactly the matching devices', async () => {
    expectImeis(
      (await listAll({ accountName: DEFAULT_ACCOUNT, groupName: '4G West' })).imeis,
      matching(COUNT, inGroup('4G West')),
    );
    const fields = [
      { key: 'customfield2', value: 'SuperVend' },
      { key: 'CUSTOMFIELD1', value: 'Blue' },
    ];
    const both = [
      { key: 'CustomField2', value: 'SuperVend' },
      { key: 'CustomField1', value: 'Blue' },
    ];
    expectImeis(
      (await listAll({ accountName: DEFAULT_ACCOUNT, customFields: fields })).imeis,
      matching(COUNT, hasFields(both)),
    );
    // Values compare exactly.
    expect(
      (await listAll({ accountName: DEFAULT_ACCOUNT, customFields: [{ key: 'CustomField1', value: 'blue' }] })).imeis,
    ).toEqual([]);
  });

  it('identifier filters: startswith, endswith and contains on the named kind', async () => {
    const prefix = imeiOf(1_200).slice(0, -2); // device numbers 1200-1299
    expectImeis(
      (await listAll({ filter: { deviceIdentifierFilters: [{ kind: 'IMEI', contains: prefix, startswith: prefix }] } }))
        .imeis,
      matching(COUNT, (_s, n) => n >= 1_200 && n < 1_300),
    );
    expectImeis(
      (
        await listAll({
          accountName: DEFAULT_ACCOUNT,
          filter: { deviceIdentifierFilters: [{ kind: 'iccId', endswith: '777' }] },
        })
      ).imeis,
      matching(COUNT, (_s, n) => n % 1_000 === 777),
    );
    // The ICCID prefix does not match IMEIs.
    expect(
      (await listAll({ filter: { deviceIdentifierFilters: [{ kind: 'imei', startswith: '8914' }] } })).imeis,
    ).toEqual([]);
  });

  it('all filters apply together, within the account asked for', async () => {
    const filter = {
      accountName: DEFAULT_ACCOUNT,
      groupName: '4G West',
      currentState: 'Active',
      customFields: [{ key: 'CustomField2', value: 'SuperVend' }],
    };
    expectImeis(
      (await listAll(filter)).imeis,
      matching(
        COUNT,
        (seed) =>
          inGroup('4G West')(seed) &&
          seed.state === 'active' &&
          hasFields([{ key: 'CustomField2', value: 'SuperVend' }])(seed),
      ),
    );
    const other = await listAll({ ...filter, accountName: OTHER_ACCOUNT, currentState: undefined });
    expect(other.imeis.length).toBeGreaterThan(0);
    expect(other.imeis.every((imei) => Number(imei.slice(-7)) >= COUNT)).toBe(true);
  });

  it('counts every list call it serves, one per page', async () => {
    const all = await listAll({ accountName: DEFAULT_ACCOUNT });
    expect(all.imeis).toHaveLength(COUNT);
    expect(all.pages).toBe(COUNT / 500);
    expect(all.calls).toBe(all.pages);
    const answer = await api.admin<{ listCalls: number }>('GET', '/list-calls');
    expect(answer.body.listCalls).toBe(api.sim.admin.listCalls());
  });
});
