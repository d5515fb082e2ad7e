import { readFile } from 'node:fs/promises';
import { describe, expect, it } from '@jest/globals';
import { SimulatorSeedSchema } from '../../src/simulator/seed-schema.js';
import { generateSeed, startSimulator } from '../../src/simulator/index.js';
import { luhnCheckDigit } from '../../src/thingspace/schemas/luhn.js';
import { login, token } from './helpers.js';

describe('simulator seeds', () => {
  it('starts from the example seed file and logs in with its credentials', async () => {
    const raw: unknown = JSON.parse(await readFile('src/simulator/seed.example.json', 'utf8'));
    const seed = SimulatorSeedSchema.parse(raw);
    const sim = await startSimulator({ seed });
    try {
      const bearer = await token(sim, 'demo-app-key', 'demo-app-secret');
      expect(bearer.statusCode).toBe(200);
      const session = await login(sim, bearer.body.access_token, 'demo-user', 'demo-password');
      expect(session.statusCode).toBe(200);
      expect(sim.admin.devices({ inAccount: true })).toHaveLength(4);
    } finally {
      await sim.close();
    }
  });

  it('rejects a seed device with a typo in its outcome', () => {
    const seed = generateSeed({ count: 1 });
    const bad = { ...seed, devices: [{ ...seed.devices[0], outcome: { activaton: 'failure' } }] };
    expect(SimulatorSeedSchema.safeParse(bad).success).toBe(false);
  });

  it('generates IMEI/ICCID pairs with valid lengths and check digits, NB-IoT devices with an EID, all states', () => {
    const seed = generateSeed({ count: 2_000, nbIotShare: 0.2, notInAccountShare: 0.1, seed: 7 });
    const ids = (kind: string) =>
      seed.devices
        .map((d) => d.deviceIds.find((i) => i.kind.toLowerCase() === kind)?.id)
        .filter((x) => x !== undefined);
    const imeis = ids('imei');
    const iccids = ids('iccid');
    expect(imeis).toHaveLength(2_000);
    expect(new Set(imeis).size).toBe(2_000);
    for (const imei of imeis) {
      expect(imei).toMatch(/^\d{15}$/);
      expect(luhnCheckDigit(imei.slice(0, -1))).toBe(imei.slice(-1));
    }
    for (const iccid of iccids) {
      expect(iccid).toMatch(/^89\d{18}$/);
      expect(luhnCheckDigit(iccid.slice(0, -1))).toBe(iccid.slice(-1));
    }
    const nbIot = seed.devices.filter((d) => d.type === 'NB-IoT');
    expect(nbIot.length).toBeGreaterThan(300);
    expect(nbIot.every((d) => d.deviceIds.some((i) => /^eid$/i.test(i.kind) && /^\d{32}$/.test(i.id)))).toBe(true);
    expect(new Set(seed.devices.map((d) => d.state))).toEqual(
      new Set(['pre-active', 'preactive', 'active', 'deactive', 'suspend']),
    );
    expect(seed.devices.filter((d) => d.inAccount === false).length).toBeGreaterThan(100);
    expect(generateSeed({ count: 50, seed: 7 })).toEqual(generateSeed({ count: 50, seed: 7 }));
    // Luhn of a known IMEI (from ThingSpace's own example) proves the check digit routine itself.
    expect(luhnCheckDigit('35245206002693')).toBe('4');
  });
});
