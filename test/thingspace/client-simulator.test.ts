import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import {
  DEFAULT_ACCOUNT,
  DEFAULT_APP,
  DEFAULT_USER,
  generateSeed,
  type RunningSimulator,
  startSimulator,
} from '../../src/simulator/index.js';
import {
  deviceKey,
  type ThingSpaceError,
  ThingSpaceAuthError,
  ThingSpaceClient,
  type ThingSpaceClientOptions,
  type ThingSpaceConfigInput,
  InProcessLoginGuard,
  LOGIN_BLOCKED_RETRY_MS,
  ThingSpaceLoginBlockedError,
  ThingSpaceNetworkError,
  ThingSpaceRateLimitError,
  ThingSpaceRequestError,
  ThingSpaceServerError,
  ThingSpaceTimeoutError,
  ThingSpaceValidationError,
} from '../../src/thingspace/index.js';
import { failure as failureOf } from '../harness/failure.js';

const DEVICE_COUNT = 2_600;
let sim: RunningSimulator;
let log: string[] = [];

beforeAll(async () => {
  sim = await startSimulator({
    seed: generateSeed({ count: DEVICE_COUNT, stateWeights: { active: 0, deactive: 0, suspend: 0 } }),
    config: { listPageSize: 500, activationDelayMs: 60_000 },
  });
});

afterAll(async () => {
  await sim.close();
});

afterEach(() => {
  sim.admin.clearFaults();
  sim.admin.resetRateLimit();
  sim.admin.resetLockout();
  sim.admin.setConfig({ activateRateLimit: { max: 100 }, maxDevicesPerActivate: 10_000, historyWrapInArray: false });
  log = [];
});

function client(config: Partial<ThingSpaceConfigInput> = {}, options: ThingSpaceClientOptions = {}): ThingSpaceClient {
  const record = (m: string, meta?: Record<string, unknown>) => log.push(`${m} ${JSON.stringify(meta ?? {})}`);
  return new ThingSpaceClient(
    { baseUrl: sim.url, ...DEFAULT_APP, ...DEFAULT_USER, accountName: DEFAULT_ACCOUNT, ...config },
    { logger: { debug: record, info: record, warn: record }, ...options },
  );
}

const count = (prefix: string) => log.filter((l) => l.startsWith(prefix)).length;

const failure = (call: Promise<unknown>) => failureOf<ThingSpaceError>(call);

/** Pre-active devices nobody has submitted yet, as activate wants them (imei + iccid). */
let nextFresh = 0;
function freshDevices(n: number) {
  const all = sim.admin.devices({ accountName: DEFAULT_ACCOUNT, inAccount: true });
  const picked = all.slice(nextFresh, nextFresh + n);
  nextFresh += n;
  return picked.map((d) => ({ deviceIds: d.deviceIds.filter((i) => /^(imei|iccid)$/i.test(i.kind)) }));
}

function activation(devices: ReturnType<typeof freshDevices>) {
  return { devices, servicePlan: '4G-IoT-1GB', mdnZipCode: '98801' };
}

describe('paging', () => {
  it(`lists all ${DEVICE_COUNT} devices across 202 pages, following the DeviceId cursor`, async () => {
    const c = client();
    const pages = [];
    for await (const page of c.listDevicesPages()) pages.push(page);
    expect(pages.map((p) => [p.devices.length, p.more])).toEqual([
      [500, true],
      [500, true],
      [500, true],
      [500, true],
      [500, true],
      [100, false],
    ]);
    const cursors = pages.map((p) => Number(p.nextCursor));
    expect([...cursors].sort((a, b) => a - b)).toEqual(cursors);
    const devices = await c.listDevices();
    const keys = new Set(devices.map((d) => deviceKey(d.deviceIds)));
    expect(keys.size).toBe(DEVICE_COUNT);
    const truth = sim.admin.devices({ accountName: DEFAULT_ACCOUNT, inAccount: true });
    expect(new Set(truth.map((d) => deviceKey(d.deviceIds)))).toEqual(keys);
  });

  it('passes filters through', async () => {
    const one = sim.admin.devices({ accountName: DEFAULT_ACCOUNT, inAccount: true })[7]!;
    const imei = one.deviceIds.find((i) => i.kind.toLowerCase() === 'imei')!;
    const devices = await client().listDevices({ deviceId: { kind: imei.kind, id: imei.id } });
    expect(devices.map((d) => deviceKey(d.deviceIds))).toEqual([deviceKey(one.deviceIds)]);
  });
});

describe('token and session lifecycle', () => {
  it('shares one token fetch and one login among concurrent first calls', async () => {
    const c = client();
    await Promise.all(Array.from({ length: 25 }, () => c.listCallbacks()));
    expect(count('ThingSpace bearer obtained')).toBe(1);
    expect(count('ThingSpace session opened')).toBe(1);
  });

  it('logs in again, once and transparently, when the server expired the session', async () => {
    const c = client();
    await c.listCallbacks();
    sim.admin.expireTokens('sessions');
    await Promise.all([c.listCallbacks(), c.listCallbacks(), c.listCallbacks()]);
    expect(count('ThingSpace session rejected')).toBeGreaterThanOrEqual(1);
    expect(count('ThingSpace session opened')).toBe(2);
  });

  it('fetches a new bearer, transparently, when the server expired it', async () => {
    const c = client();
    await c.listCallbacks();
    sim.admin.expireTokens('oauth');
    await c.listCallbacks();
    expect(count('ThingSpace bearer rejected')).toBe(1);
    expect(count('ThingSpace bearer obtained')).toBe(2);
  });

  it('renews bearer and session before they expire, and keeps an active session alive', async () => {
    let now = Date.now();
    const c = client({}, { now: () => now });
    await c.listCallbacks();
    // Each call restarts the 1200 s idle timer, so calls 1000 s apart never need a new login.
    for (let i = 0; i < 3; i++) {
      now += 1_000_000;
      await c.listCallbacks();
    }
    expect(count('ThingSpace session opened')).toBe(1);
    expect(count('ThingSpace bearer obtained')).toBe(1);
    // 4200 s in: past the one-hour bearer (renewed a minute early) and past an idle 1200 s session.
    now += 1_200_000;
    await c.listCallbacks();
    expect(count('ThingSpace bearer obtained')).toBe(2);
    expect(count('ThingSpace session opened')).toBe(2);
    expect(count('ThingSpace session rejected')).toBe(0);
    expect(count('ThingSpace bearer rejected')).toBe(0);
  });

  it('stops logging in after 2 refusals, far from the lockout at 5, and backs off for 5 minutes until reset', async () => {
    const c = client({ password: 'wrong-password' });
    const first = await failure(c.listCallbacks());
    expect(first).toBeInstanceOf(ThingSpaceRequestError);
    expect(first).toMatchObject({
      errorCode: 'UnifiedWebService.AUTHENTICATION_FAILED.Login.InvalidCredentials',
      retryable: false,
    });
    await failure(c.listCallbacks());
    for (let i = 0; i < 10; i++) {
      const blocked = await failure(c.listCallbacks());
      expect(blocked).toBeInstanceOf(ThingSpaceLoginBlockedError);
      // Retryable after a long pause: the activity backs off instead of failing the job.
      expect(blocked).toMatchObject({ retryable: true, retryAfterMs: LOGIN_BLOCKED_RETRY_MS });
    }
    expect(sim.admin.lockout(DEFAULT_USER.username)).toEqual({ locked: false, failedLogins: 2 });
    expect(await c.loginGuardState()).toMatchObject({
      failures: 2,
      limit: 2,
      outstanding: 0,
      blocked: true,
      lastRefusal: { errorCode: 'UnifiedWebService.AUTHENTICATION_FAILED.Login.InvalidCredentials' },
    });
    await c.updateCredentials({ username: DEFAULT_USER.username, password: DEFAULT_USER.password });
    await expect(c.listCallbacks()).resolves.toBeDefined();
    expect(sim.admin.lockout(DEFAULT_USER.username)).toEqual({ locked: false, failedLogins: 0 });
    expect(await c.loginGuardState()).toMatchObject({ failures: 0, blocked: false, blockedSince: null });
  });

  it('never reaches the lockout even at the highest allowed bound, nor with concurrent callers', async () => {
    const c = client({ password: 'wrong-password', maxConsecutiveLoginFailures: 4 });
    await Promise.all(Array.from({ length: 10 }, () => failure(c.listCallbacks())));
    expect(sim.admin.lockout(DEFAULT_USER.username).failedLogins).toBe(1);
    for (let i = 0; i < 10; i++) await failure(c.listCallbacks());
    expect(sim.admin.lockout(DEFAULT_USER.username)).toEqual({ locked: false, failedLogins: 4 });
    expect((await c.loginGuardState()).failures).toBe(4);
    await c.resetLoginGuard();
    await failure(c.listCallbacks());
    expect(sim.admin.lockout(DEFAULT_USER.username).failedLogins).toBe(5); // only an explicit reset allows it
  });

  it('three clients sharing one in-process guard make at most `limit` failed logins together', async () => {
    const guard = new InProcessLoginGuard();
    const clients = [1, 2, 3].map(() => client({ password: 'wrong-password' }, { loginGuard: guard }));
    const errors = await Promise.all(clients.flatMap((c) => [1, 2, 3].map(() => failure(c.listCallbacks()))));
    expect(sim.admin.lockout(DEFAULT_USER.username)).toEqual({ locked: false, failedLogins: 2 });
    expect(errors.filter((e) => e instanceof ThingSpaceLoginBlockedError).length).toBeGreaterThan(0);
    expect(errors.every((e) => e instanceof ThingSpaceLoginBlockedError || e instanceof ThingSpaceRequestError)).toBe(
      true,
    );
  });

  it('does not count 5xx answers to the login: they stay retryable and never block', async () => {
    const c = client({ password: 'wrong-password' });
    sim.admin.scheduleFault({ kind: '5xx', route: 'login', count: 2, status: 503 });
    sim.admin.scheduleFault({ kind: '5xx', route: 'login', count: 2, status: 500 });
    sim.admin.scheduleFault({ kind: '5xx', route: 'login', count: 2, status: 502 });
    for (let i = 0; i < 6; i++) {
      const error = await failure(c.listCallbacks());
      expect(error).toBeInstanceOf(ThingSpaceServerError);
      expect(error.retryable).toBe(true);
    }
    expect(await c.loginGuardState()).toMatchObject({ failures: 0, outstanding: 0, blocked: false });
    expect(sim.admin.lockout(DEFAULT_USER.username).failedLogins).toBe(0);
  });

  it('does not count login timeouts: after three of them the next login goes through', async () => {
    const c = client({ timeouts: { authMs: 100 } });
    await c.listCallbacks(); // bearer and session in hand
    sim.admin.expireTokens('sessions');
    sim.admin.setConfig({ faults: { latencyMs: 400 } });
    try {
      for (let i = 0; i < 3; i++) {
        const error = await failure(c.listCallbacks());
        expect(error).toBeInstanceOf(ThingSpaceTimeoutError);
        expect(error).toMatchObject({ operation: 'session login', retryable: true });
      }
      expect(await c.loginGuardState()).toMatchObject({ failures: 0, outstanding: 0, blocked: false });
    } finally {
      sim.admin.setConfig({ faults: { latencyMs: 0 } });
    }
    await expect(c.listCallbacks()).resolves.toBeDefined();
  });

  it('logs out, and the next call logs in again', async () => {
    const c = client();
    await c.listCallbacks();
    await c.logout();
    await c.logout(); // nothing to end: no call
    await c.listCallbacks();
    expect(count('ThingSpace session opened')).toBe(2);
    expect(count('ThingSpace session rejected')).toBe(0);
  });
});

describe('activate and its error paths', () => {
  it('activates and returns the requestId the simulator knows', async () => {
    const devices = freshDevices(3);
    const { requestId } = await client().activate(activation(devices));
    expect(sim.admin.request(requestId)?.devices).toHaveLength(3);
  });

  it('a schema rejection sends nothing and names path and rule', async () => {
    const before = sim.admin.submissions().totalSubmissions;
    const error = await failure(client().activate({ ...activation(freshDevices(1)), mdnZipCode: '9880' }));
    expect(error).toBeInstanceOf(ThingSpaceValidationError);
    expect(error.message).toBe('activate: invalid request: mdnZipCode: mdnZipCode must be 5 decimal digits');
    expect(sim.admin.submissions().totalSubmissions).toBe(before);
  });

  it('400 with errorCode when the simulator refuses the request', async () => {
    sim.admin.setConfig({ maxDevicesPerActivate: 2 });
    const error = await failure(client().activate(activation(freshDevices(3))));
    expect(error).toBeInstanceOf(ThingSpaceRequestError);
    expect(error).toMatchObject({ status: 400, retryable: false, ambiguous: false });
    expect(error.errorCode).toMatch(/\w+\.\w+/);
  });

  it('429 after the per-minute limit, with Retry-After', async () => {
    sim.admin.setConfig({ activateRateLimit: { max: 1 } });
    const c = client();
    await c.activate(activation(freshDevices(1)));
    const error = await failure(c.activate(activation(freshDevices(1))));
    expect(error).toBeInstanceOf(ThingSpaceRateLimitError);
    expect(error).toMatchObject({ status: 429, retryable: true, ambiguous: false });
    expect(error.retryAfterMs).toBeGreaterThan(0);
    // Counted for the tests that must know the limit was really hit.
    expect(sim.admin.activateRateLimited(DEFAULT_ACCOUNT)).toBe(1);
  });

  it('503 is a clear refusal: nothing was submitted', async () => {
    const devices = freshDevices(2);
    sim.admin.scheduleFault({ kind: '5xx', route: 'activate', count: 1, status: 503 });
    const error = await failure(client().activate(activation(devices)));
    expect(error).toBeInstanceOf(ThingSpaceServerError);
    expect(error).toMatchObject({ status: 503, retryable: true, ambiguous: false });
    expect(sim.admin.deviceTruth(devices[0]!.deviceIds[0]!)?.submissions).toBe(0);
  });

  it.each([
    ['ambiguous-500', ThingSpaceServerError],
    ['ambiguous-drop', ThingSpaceNetworkError],
  ] as const)('%s: the request was processed, and the error says it may have been', async (kind, type) => {
    const devices = freshDevices(2);
    sim.admin.scheduleFault({ kind, route: 'activate', count: 1 });
    const error = await failure(client().activate(activation(devices)));
    expect(error).toBeInstanceOf(type);
    expect(error).toMatchObject({ ambiguous: true, retryable: false });
    expect(sim.admin.deviceTruth(devices[0]!.deviceIds[0]!)?.submissions).toBe(1);
  });

  it('a 500 on a read is retryable', async () => {
    sim.admin.scheduleFault({ kind: '5xx', route: 'list', count: 1, status: 500 });
    const error = await failure(client().listDevices());
    expect(error).toMatchObject({ status: 500, retryable: true, ambiguous: true });
  });
});

describe('history, status and callback registration', () => {
  it('reads request status (single device) and history, bare or wrapped in an array', async () => {
    const c = client();
    const [device] = freshDevices(1);
    const { requestId } = await c.activate(activation([device!]));
    expect(await c.requestStatus(requestId)).toMatchObject({ requestId, status: 'Pending' });
    const query = { deviceId: device!.deviceIds[0]!, earliest: '2000-01-01T00:00:00Z', latest: '2100-01-01T00:00:00Z' };
    const bare = await c.history(query);
    sim.admin.setConfig({ historyWrapInArray: true });
    expect(await c.history(query)).toEqual(bare);
  });

  it('request status of a multi-device request is a 400 with the code', async () => {
    const c = client();
    const { requestId } = await c.activate(activation(freshDevices(2)));
    const error = await failure(c.requestStatus(requestId));
    expect(error).toMatchObject({ status: 400, retryable: false });
    expect(error.errorCode).toMatch(/RequestStatus/);
  });

  it('registers, lists and deletes a callback listener', async () => {
    const c = client();
    const url = 'http://127.0.0.1:9001/thingspace/callbacks';
    expect(
      await c.registerCallback({ name: 'CarrierService', url, username: 'hook', password: 'hook-secret' }),
    ).toEqual({
      accountName: DEFAULT_ACCOUNT,
      serviceName: 'CarrierService',
    });
    expect(await c.listCallbacks()).toContainEqual(expect.objectContaining({ name: 'CarrierService', url }));
    await c.deleteCallback('CarrierService');
    expect((await c.listCallbacks()).map((r) => r.name)).not.toContain('CarrierService');
  });

  it('needs an account for account-scoped calls', async () => {
    const error = await failure(client({ accountName: undefined }).listCallbacks());
    expect(error).toBeInstanceOf(ThingSpaceValidationError);
    expect(error.message).toBe('list callbacks: accountName is required (no default configured)');
  });

  it('a bad app secret is a non-retryable auth error', async () => {
    const error = await failure(client({ appSecret: 'wrong-secret' }).listCallbacks());
    expect(error).toBeInstanceOf(ThingSpaceAuthError);
    expect(error).toMatchObject({ operation: 'oauth token', retryable: false });
    expect(error.message).not.toContain('wrong-secret');
  });
});
