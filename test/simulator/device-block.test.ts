/**
 * A block of generated devices (the bench's account of two million) behaves like devices seeded one by one: listed
 * in order with the others, found by either identifier, narrowed by `startswith`, activated, and only then given
 * records of their own. List calls are counted per account.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { blockDeviceIds, type DeviceBlockSeed, type SimulatorSeed } from '../../src/simulator/index.js';
import { SimulatorSeedSchema } from '../../src/simulator/seed-schema.js';
import {
  activateBody,
  DEFAULT_ACCOUNT,
  DEFAULT_APP,
  DEFAULT_USER,
  device,
  openSession,
  type ApiSession,
} from './helpers.js';

const LIST = '/m2m/v1/devices/actions/list';
const ACTIVATE = '/m2m/v1/devices/actions/activate';
const OTHER = '0868924207-00002';
const BLOCK: DeviceBlockSeed = { accountName: DEFAULT_ACCOUNT, count: 2_500, prefix: '77123' };

interface ListBody {
  hasMoreData: boolean;
  devices: {
    accountName: string;
    deviceIds: { kind: string; id: string }[];
    carrierInformations: { state: string }[];
    extendedAttributes: { key: string; value: string }[];
  }[];
}

const internalId = (d: ListBody['devices'][number]) =>
  Number(d.extendedAttributes.find((a) => a.key === 'DeviceId')!.value);
const imeiOf = (d: ListBody['devices'][number]) => d.deviceIds.find((i) => i.kind.toLowerCase() === 'imei')!.id;

function seed(blocks: DeviceBlockSeed[]): SimulatorSeed {
  return {
    apps: [DEFAULT_APP],
    users: [{ ...DEFAULT_USER, accountNames: [DEFAULT_ACCOUNT, OTHER] }],
    accounts: [DEFAULT_ACCOUNT, OTHER],
    // Seeded one by one, before the blocks: their internal ids come first.
    devices: [device(0), device(1), { ...device(2), accountName: OTHER }],
    blocks,
  };
}

describe('simulator device blocks', () => {
  let api: ApiSession | undefined;
  afterEach(async () => {
    await api?.sim.close();
    api = undefined;
  });

  async function listAll(filter: Record<string, unknown>) {
    const devices: ListBody['devices'] = [];
    let largestDeviceIdSeen: string | undefined;
    for (;;) {
      const page = await api!.post<ListBody>(LIST, {
        ...filter,
        ...(largestDeviceIdSeen !== undefined && { largestDeviceIdSeen }),
      });
      expect(page.statusCode).toBe(page.body.hasMoreData ? 202 : 200);
      devices.push(...page.body.devices);
      if (!page.body.hasMoreData) return devices;
      largestDeviceIdSeen = String(internalId(page.body.devices.at(-1)!));
    }
  }

  it('lists seeded and block devices once each, in internal id order, per account', async () => {
    api = await openSession({
      seed: seed([BLOCK, { accountName: OTHER, count: 700, prefix: '77124' }]),
      config: { listPageSize: 400 },
    });
    const mine = await listAll({ accountName: DEFAULT_ACCOUNT });
    expect(mine).toHaveLength(2 + BLOCK.count);
    const ids = mine.map(internalId);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
    expect(mine.slice(2).map(imeiOf)).toEqual(
      Array.from({ length: BLOCK.count }, (_, i) => blockDeviceIds(BLOCK.prefix, i)[0]!.id),
    );
    expect(await listAll({ accountName: OTHER })).toHaveLength(1 + 700);
    expect(api.sim.admin.listCallsByAccount()).toEqual({
      [DEFAULT_ACCOUNT]: Math.ceil((2 + BLOCK.count) / 400),
      [OTHER]: Math.ceil(701 / 400),
    });
  });

  it('finds a block device by either identifier in any spelling, and nothing for a wrong check digit', async () => {
    api = await openSession({ seed: seed([BLOCK]) });
    const [imei, iccid] = blockDeviceIds(BLOCK.prefix, 1_234);
    for (const deviceId of [imei!, iccid!, { kind: 'IMEI', id: imei!.id }, { kind: 'iccid', id: iccid!.id }]) {
      const page = await api.post<ListBody>(LIST, { accountName: DEFAULT_ACCOUNT, deviceId });
      expect(page.body.devices.map(imeiOf)).toEqual([imei!.id]);
    }
    const wrong = `${imei!.id.slice(0, -1)}${(Number(imei!.id.at(-1)) + 1) % 10}`;
    const none = await api.post<ListBody>(LIST, {
      accountName: DEFAULT_ACCOUNT,
      deviceId: { kind: 'imei', id: wrong },
    });
    expect(none.body.devices).toEqual([]);
    const past = blockDeviceIds(BLOCK.prefix, BLOCK.count)[0]!;
    expect((await api.post<ListBody>(LIST, { accountName: DEFAULT_ACCOUNT, deviceId: past })).body.devices).toEqual([]);
    // Looking at a device does not give it a record of its own.
    expect(api.sim.admin.deviceTruth(imei!)?.state).toBe('pre-active');
  });

  it('narrows a startswith filter to the matching positions, exactly as a scan of every device would', async () => {
    api = await openSession({ seed: seed([BLOCK]), config: { listPageSize: 500 } });
    const everything = await listAll({ accountName: DEFAULT_ACCOUNT });
    for (const [kind, prefix] of [
      ['imei', `3577123000`],
      ['imei', `35771230012`],
      ['iccid', `89148077123000020`],
      ['imei', blockDeviceIds(BLOCK.prefix, 2_001)[0]!.id],
      ['imei', '3577124'],
      ['imei', '35'],
    ] as const) {
      const filter = { deviceIdentifierFilters: [{ kind, contains: prefix, startswith: prefix }] };
      const listed = (await listAll({ accountName: DEFAULT_ACCOUNT, filter })).map(imeiOf);
      const expected = everything
        .filter((d) => d.deviceIds.some((i) => i.kind.toLowerCase() === kind && i.id.startsWith(prefix)))
        .map(imeiOf);
      expect({ prefix, listed }).toEqual({ prefix, listed: expected });
    }
  });

  it('activates block devices: only they get records, and state filters see the change', async () => {
    api = await openSession({ seed: seed([BLOCK]), config: { activationDelayMs: 0 } });
    const chosen = [5, 6, 2_499];
    const res = await api.post(ACTIVATE, activateBody(chosen.map((i) => blockDeviceIds(BLOCK.prefix, i))));
    expect(res.statusCode).toBe(200);
    await api.sim.admin.settled();
    const active = await listAll({ accountName: DEFAULT_ACCOUNT, currentState: 'active' });
    expect(active.map(imeiOf)).toEqual(chosen.map((i) => blockDeviceIds(BLOCK.prefix, i)[0]!.id));
    expect(await listAll({ accountName: DEFAULT_ACCOUNT, currentState: 'pre-active' })).toHaveLength(
      2 + BLOCK.count - chosen.length,
    );
    expect(api.sim.admin.submissions().totalSubmissions).toBe(chosen.length);
    expect(api.sim.admin.touchedBlockDevices()).toBe(chosen.length);
  });

  it('keeps what a request named as it spelled it, though a block device record computes its identifiers', async () => {
    api = await openSession({ seed: seed([BLOCK]), config: { activationDelayMs: 0 } });
    // A request's kinds come lower-cased; the block spells them `imei`, `iccId` here.
    const [imei, iccid] = blockDeviceIds(BLOCK.prefix, 3);
    const lower = (ids: { kind: string; id: string }[]) => ids.map((d) => ({ kind: d.kind.toLowerCase(), id: d.id }));
    const requests = [
      [lower(blockDeviceIds(BLOCK.prefix, 0)), [{ kind: 'imei', id: imei!.id }]],
      [lower([iccid!, imei!])],
    ];
    for (const named of requests) {
      const res = await api.post<{ requestId: string }>(ACTIVATE, activateBody(named));
      expect(res.statusCode).toBe(200);
      await api.sim.admin.settled();
      expect(api.sim.admin.request(res.body.requestId)!.devices.map((d) => d.deviceIds)).toEqual(named);
    }
    const truth = api.sim.admin.deviceTruth({ kind: 'IMEI', id: imei!.id })!;
    expect(truth).toMatchObject({
      deviceIds: [imei, iccid],
      accountName: DEFAULT_ACCOUNT,
      type: '4G',
      state: 'active',
      submissions: 2,
      activations: 1,
    });
    expect(truth.history.map((h) => h.status)).toEqual(['Success', 'Failed']);
  });

  it('refuses a block whose prefix is not five digits, naming the field', () => {
    const parsed = SimulatorSeedSchema.safeParse(seed([{ ...BLOCK, prefix: '771' }]));
    expect(parsed.success).toBe(false);
    expect(JSON.stringify(parsed.error?.issues)).toMatch(/blocks.*prefix|prefix must be five digits/);
  });
});
