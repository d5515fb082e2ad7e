import { eid, iccid, imei } from './identifiers.js';
import type { DeviceState, SeedDevice, SimulatorSeed } from './model.js';
import type { DeviceId } from '../thingspace/schemas/device-key.js';
import { createRandom, digits, type Random } from './rng.js';

export const DEFAULT_APP = { appKey: 'sim-app-key', appSecret: 'sim-app-secret' };
export const DEFAULT_USER = { username: 'sim-user', password: 'sim-password' };
export const DEFAULT_ACCOUNT = '0868924207-00001';

/** The THINGSPACE_* settings that point a worker or the CLI at a simulator seeded with the defaults above. */
export function simulatorThingSpaceEnv(baseUrl: string): Record<string, string> {
  return {
    THINGSPACE_BASE_URL: baseUrl,
    THINGSPACE_APP_KEY: DEFAULT_APP.appKey,
    THINGSPACE_APP_SECRET: DEFAULT_APP.appSecret,
    THINGSPACE_USERNAME: DEFAULT_USER.username,
    THINGSPACE_PASSWORD: DEFAULT_USER.password,
    THINGSPACE_ACCOUNT_NAME: DEFAULT_ACCOUNT,
  };
}

export interface GenerateOptions {
  /** Devices per account. */
  count: number;
  accounts?: string[];
  /** Share of NB-IoT devices (they also get a NiddService callback). */
  nbIotShare?: number;
  /** Relative weights of the initial states; most devices are ready for activation by default. */
  stateWeights?: Partial<Record<DeviceState, number>>;
  /** Share of devices that exist but are not listed in the account. */
  notInAccountShare?: number;
  servicePlan?: string;
  seed?: number;
}

const DEFAULT_WEIGHTS: Record<DeviceState, number> = {
  'pre-active': 6,
  preactive: 1,
  active: 1,
  deactive: 1,
  suspend: 1,
};

/** Kinds are spelled differently on purpose: real payloads mix `IMEI`, `imei`, `iccId` and `ICCID`. */
export const KIND_SPELLINGS = {
  imei: ['imei', 'IMEI', 'imei'],
  iccid: ['iccId', 'ICCID', 'iccid'],
  eid: ['eid', 'EID', 'eid'],
};

function pickState(random: Random, weights: Record<DeviceState, number>): DeviceState {
  const entries = Object.entries(weights) as [DeviceState, number][];
  const total = entries.reduce((sum, [, w]) => sum + w, 0);
  let r = random() * total;
  for (const [state, weight] of entries) {
    r -= weight;
    if (r < 0) return state;
  }
  return 'pre-active';
}

export function generateSeed(options: GenerateOptions): SimulatorSeed {
  const random = createRandom(options.seed ?? 1);
  const accounts = options.accounts ?? [DEFAULT_ACCOUNT];
  const weights = { ...DEFAULT_WEIGHTS, ...options.stateWeights };
  // A per-seed prefix keeps identifiers of differently seeded simulators apart.
  const prefix = digits(random, 5);
  const devices: SeedDevice[] = [];
  let serial = 0;
  for (const accountName of accounts) {
    for (let i = 0; i < options.count; i++, serial++) {
      const spelling = serial % 3;
      const nbIot = random() < (options.nbIotShare ?? 0.1);
      const deviceIds: DeviceId[] = [
        { kind: KIND_SPELLINGS.imei[spelling] as string, id: imei(prefix, serial) },
        { kind: KIND_SPELLINGS.iccid[spelling] as string, id: iccid(prefix, serial) },
      ];
      if (nbIot) deviceIds.push({ kind: KIND_SPELLINGS.eid[spelling] as string, id: eid(prefix, serial) });
      devices.push({
        accountName,
        type: nbIot ? 'NB-IoT' : '4G',
        deviceIds,
        state: pickState(random, weights),
        servicePlan: options.servicePlan ?? '4G-IoT-1GB',
        inAccount: random() >= (options.notInAccountShare ?? 0),
      });
    }
  }
  return { apps: [DEFAULT_APP], users: [{ ...DEFAULT_USER, accountNames: accounts }], accounts, devices };
}
