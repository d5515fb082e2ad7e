/**
 * The simulator behaving as hard as ThingSpace is allowed to: activations that take hours (on a virtual clock), no
 * pending state, history only on completion, lost answers on large requests, callbacks before the activate answer,
 * rate limits as unknown 400s, and its own record of what it did for fault tests to check against.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import {
  DOCUMENTED_ACTIVATE_ERROR_CODES,
  ManualScheduler,
  type ClockState,
  type ConfigPatch,
  type SeedDevice,
  type SimulatorRecord,
} from '../../src/simulator/index.js';
import {
  activateBody,
  device,
  http,
  imeiOf,
  openSession,
  pair,
  registerListener,
  seedOf,
  sentImei,
  startListener,
  type ApiSession,
  type Listener,
} from './helpers.js';

const ACTIVATE = '/m2m/v1/devices/actions/activate';
const LIST = '/m2m/v1/devices/actions/list';
const HISTORY = '/m2m/v1/devices/history/actions/list';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

type ListBody = { devices: { deviceIds: { kind: string; id: string }[]; carrierInformations: { state: string }[] }[] };
type HistoryBody = { provisioningHistory: { status: string; occurredAt: string }[] };

describe('simulator hard manners (virtual time)', () => {
  let api: ApiSession | undefined;
  let listener: Listener | undefined;
  afterEach(async () => {
    await api?.sim.close();
    await listener?.close();
    api = listener = undefined;
  });

  async function setup(
    devices: SeedDevice[],
    config: ConfigPatch,
    answer?: (body: Record<string, unknown>, n: number) => number,
  ) {
    const clock = new ManualScheduler();
    listener = await startListener(answer);
    api = await openSession({
      seed: seedOf(devices),
      scheduler: clock,
      config: { activateRateLimit: { max: 1_000 }, listPageSize: 10_000, ...config },
    });
    await registerListener(api, listener);
    return { api, listener, clock };
  }

  const listStates = async (a: ApiSession) => {
    const res = await a.post<ListBody>(LIST, {});
    return new Map(res.body.devices.map((d) => [d.deviceIds.find((i) => i.kind === 'imei')!.id, d]));
  };
  const historyOf = async (a: ApiSession, d: SeedDevice) =>
    (
      await a.post<HistoryBody>(HISTORY, {
        deviceId: d.deviceIds[0],
        earliest: new Date(Date.now() - HOUR).toISOString(),
        latest: new Date().toISOString(),
      })
    ).body.provisioningHistory;

  it('10,000 devices activate between 30 minutes and 6 hours of virtual time: nothing shows before, all after, callbacks once', async () => {
    const devices = Array.from({ length: 10_000 }, (_, i) => device(i));
    const { api, listener, clock } = await setup(devices, {
      activationDelayMs: 30 * MINUTE,
      activationJitterMs: 5.5 * HOUR,
      activationStepMs: MINUTE,
      callbackDelayMs: 100,
    });
    const res = await api.post<{ requestId: string }>(ACTIVATE, activateBody(devices.map((d) => pair(d.deviceIds))));
    expect(res.statusCode).toBe(200);
    const { requestId } = res.body;
    // One timer for the whole request, whatever the spread of its 10,000 due times.
    expect(clock.pendingTimers).toBe(1);
    expect(clock.nextDueIn()).toBeGreaterThanOrEqual(30 * MINUTE);
    expect(clock.nextDueIn()).toBeLessThanOrEqual(31 * MINUTE);
    const request = api.sim.admin.request(requestId)!;
    expect(request.pending).toBe(10_000);

    await clock.advance(30 * MINUTE - 1);
    const before = api.sim.record();
    expect(before.totals).toMatchObject({ submissions: 10_000, pendingActivations: 10_000, callbacks: 0 });
    expect(before.devices.every((d) => d.state === 'pre-active' && d.history.length === 0)).toBe(true);
    expect(before.devices.every((d) => d.requestIds.length === 1 && d.requestIds[0] === requestId)).toBe(true);
    // No pending state by default: list shows the old state, history is empty.
    const listedBefore = await listStates(api);
    expect(listedBefore.size).toBe(10_000);
    expect([...listedBefore.values()].every((d) => d.carrierInformations[0]!.state === 'pre-active')).toBe(true);
    expect(await historyOf(api, devices[0]!)).toEqual([]);
    expect(listener.received).toHaveLength(0);

    // Half way: some done, some not.
    await clock.advance(3 * HOUR);
    const half = api.sim.record().totals;
    expect(half.pendingActivations).toBeGreaterThan(1_000);
    expect(half.pendingActivations).toBeLessThan(9_000);

    await clock.advance(6 * HOUR - (30 * MINUTE - 1) - 3 * HOUR + 1_000);
    const after = api.sim.record();
    expect(after.totals).toMatchObject({
      devices: 10_000,
      submissions: 10_000,
      submittedTwice: 0,
      activatedTwice: 0,
      pendingActivations: 0,
      callbacks: 10_000,
      acknowledged: 10_000,
      exhausted: 0,
      dropped: 0,
      sends: 10_000,
    });
    // One expect over all devices (10,000 expects would cost seconds): the list of devices that break the rule.
    const wrong = after.devices.filter(
      (d) =>
        d.state !== 'active' ||
        d.activations !== 1 ||
        d.history.length !== 1 ||
        d.acknowledged.CarrierService.length !== 1 ||
        d.acknowledged.CarrierService[0]!.requestId !== requestId ||
        d.acknowledged.CarrierService[0]!.status !== 'Success',
    );
    expect(wrong).toEqual([]);
    // Timestamps stay on the real clock: a history query up to "now" finds the entry.
    expect(await historyOf(api, devices[0]!)).toEqual([expect.objectContaining({ status: 'Success' })]);
    const perDevice = new Map<string, number>();
    for (const r of listener.received) perDevice.set(sentImei(r.body), (perDevice.get(sentImei(r.body)) ?? 0) + 1);
    expect(listener.received.filter((r) => r.body.requestId !== requestId)).toEqual([]);
    expect(perDevice.size).toBe(10_000);
    expect([...perDevice.values()].every((n) => n === 1)).toBe(true);
    expect(clock.pendingTimers).toBe(0);
  });

  it('writes history only on completion, with and without a pending state', async () => {
    const devices = [device(0), device(1)];
    const { api, clock, listener } = await setup(devices, { activationDelayMs: 2 * HOUR, callbackDelayMs: 0 });
    const stateOf = async (d: SeedDevice) => (await listStates(api)).get(imeiOf(d))!.carrierInformations[0]!.state;

    await api.post(ACTIVATE, activateBody([pair(devices[0]!.deviceIds)]));
    await clock.advance(2 * HOUR - 1);
    expect(await stateOf(devices[0]!)).toBe('pre-active');
    expect(await historyOf(api, devices[0]!)).toEqual([]);
    await clock.advance(1);
    expect(await stateOf(devices[0]!)).toBe('active');
    expect(await historyOf(api, devices[0]!)).toHaveLength(1);
    expect(listener.received).toHaveLength(1);

    api.sim.admin.setConfig({ pendingStateName: 'pending activation' });
    await api.post(ACTIVATE, activateBody([pair(devices[1]!.deviceIds)]));
    await clock.advance(HOUR);
    expect(await stateOf(devices[1]!)).toBe('pending activation');
    expect(await historyOf(api, devices[1]!)).toEqual([]);
    await clock.advance(HOUR);
    expect(await stateOf(devices[1]!)).toBe('active');
    expect(await historyOf(api, devices[1]!)).toHaveLength(1);
  });

  it('retries callbacks on the virtual clock with doubling backoff and records sends, acknowledgements and give-ups', async () => {
    const devices = [device(0), device(1)];
    const failing = imeiOf(devices[1]!);
    let failuresOfFirst = 0;
    const answer = (body: Record<string, unknown>) => {
      if (sentImei(body) === failing) return 503;
      return failuresOfFirst++ < 2 ? 500 : 200;
    };
    const { api, clock, listener } = await setup(
      devices,
      { activationDelayMs: 10 * MINUTE, callbackDelayMs: 1_000, callbackRetryBackoffMs: MINUTE },
      answer,
    );
    const res = await api.post<{ requestId: string }>(ACTIVATE, activateBody(devices.map((d) => pair(d.deviceIds))));
    await clock.advance(10 * MINUTE + 1_000);
    expect(listener.received.map((r) => r.body.callbackCount)).toEqual([1, 1]);
    await clock.advance(MINUTE - 1);
    expect(listener.received).toHaveLength(2);
    await clock.advance(1);
    expect(listener.received).toHaveLength(4);
    await clock.advance(2 * MINUTE);
    expect(listener.received).toHaveLength(6);
    await clock.advance(4 * MINUTE);
    expect(listener.received).toHaveLength(7);
    expect(clock.pendingTimers).toBe(0);

    const record = api.sim.record({ submittedOnly: true });
    const [first, second] = record.devices;
    expect(first!.callbacks).toEqual([
      expect.objectContaining({ requestId: res.body.requestId, sends: 3, acknowledged: 1, exhausted: 0 }),
    ]);
    expect(first!.acknowledged.CarrierService).toHaveLength(1);
    expect(second!.callbacks).toEqual([
      expect.objectContaining({ sends: 4, acknowledged: 0, exhausted: 1, lastResult: '503' }),
    ]);
    expect(second!.exhausted).toEqual([
      { service: 'CarrierService', requestId: res.body.requestId, status: 'Success' },
    ]);
    expect(record.totals).toMatchObject({ callbacks: 2, acknowledged: 1, exhausted: 1, sends: 7 });

    // A second request for the same device gets its own record: the first one's callbacks are not overwritten.
    const again = await api.post<{ requestId: string }>(ACTIVATE, activateBody([pair(devices[0]!.deviceIds)]));
    await clock.runAll();
    const twice = api.sim.record({ submittedOnly: true }).devices[0]!;
    expect(twice.requestIds).toEqual([res.body.requestId, again.body.requestId]);
    expect(twice.callbacks.map((c) => [c.requestId, c.status, c.acknowledged])).toEqual([
      [res.body.requestId, 'Success', 1],
      [again.body.requestId, 'Failed', 1],
    ]);
    expect(twice).toMatchObject({ submissions: 2, activations: 1 });
    expect(api.sim.record().totals).toMatchObject({ submittedTwice: 1, activatedTwice: 0 });

    const overHttp = await api.admin<SimulatorRecord>('GET', '/record?submittedOnly=true');
    expect(overHttp.body.devices).toHaveLength(2);
    expect(overHttp.body.totals).toMatchObject({ submittedTwice: 1, callbacks: 3, acknowledged: 2, exhausted: 1 });
  });

  it('loses the answer to a large request only: recorded and carried out, its callbacks carry the lost requestId', async () => {
    const devices = Array.from({ length: 305 }, (_, i) => device(i));
    const small = devices.slice(0, 5);
    const large = devices.slice(5);
    const { api, clock, listener } = await setup(devices, {
      activationDelayMs: 3 * MINUTE,
      callbackDelayMs: 0,
      faults: { ambiguousMode: 'drop', ambiguousMinDevices: 300 },
    });
    const ok = await api.post<{ requestId: string }>(ACTIVATE, activateBody(small.map((d) => pair(d.deviceIds))));
    expect(ok.statusCode).toBe(200);
    await expect(api.post(ACTIVATE, activateBody(large.map((d) => pair(d.deviceIds))))).rejects.toMatchObject({
      code: expect.stringMatching(/ECONNRESET|EPIPE|ERR_|UND_ERR/),
    });

    const record = api.sim.record({ submittedOnly: true });
    const lost = record.devices.find((d) => d.requestIds[0] !== ok.body.requestId)!.requestIds[0]!;
    const request = api.sim.admin.request(lost)!;
    expect(request.devices).toHaveLength(300);
    expect(request.pending).toBe(300);
    for (const d of record.devices) expect(d.submissions).toBe(1);
    // Nothing visible until the activations complete: old state, no history, no callbacks.
    expect(record.devices.every((d) => d.state === 'pre-active' && d.history.length === 0)).toBe(true);
    expect(listener.received).toHaveLength(0);

    await clock.advance(3 * MINUTE);
    const lostCallbacks = listener.received.filter((r) => r.body.requestId === lost);
    expect(lostCallbacks).toHaveLength(300);
    expect(new Set(lostCallbacks.map((r) => sentImei(r.body)))).toEqual(new Set(large.map(imeiOf)));
    const done = api.sim.record({ submittedOnly: true });
    expect(done.totals).toMatchObject({ submissions: 305, submittedTwice: 0, acknowledged: 305 });
    expect(done.devices.filter((d) => d.acknowledged.CarrierService[0]?.requestId === lost)).toHaveLength(300);
  });

  it('schedules an ambiguous 500 for large requests only, in process and over the admin API', async () => {
    const devices = Array.from({ length: 20 }, (_, i) => device(i));
    const { api, clock } = await setup(devices, { activationDelayMs: MINUTE });
    const body = (from: number, to: number) => activateBody(devices.slice(from, to).map((d) => pair(d.deviceIds)));
    api.sim.admin.scheduleFault({ kind: 'ambiguous-500', route: 'activate', count: 1, minDevices: 5 });
    expect((await api.post(ACTIVATE, body(0, 4))).statusCode).toBe(200);
    expect(api.sim.admin.scheduledFaults()).toHaveLength(1);
    expect((await api.post(ACTIVATE, body(4, 9))).statusCode).toBe(500);
    expect(api.sim.admin.scheduledFaults()).toHaveLength(0);

    expect(
      (await api.admin('POST', '/faults', { kind: 'ambiguous-drop', route: 'activate', minDevices: 10 })).statusCode,
    ).toBe(204);
    expect((await api.admin('POST', '/faults', { kind: 'ambiguous-drop', minDevices: 0 })).statusCode).toBe(400);
    expect((await api.post(ACTIVATE, body(9, 10))).statusCode).toBe(200);
    await expect(api.post(ACTIVATE, body(10, 20))).rejects.toMatchObject({ code: expect.any(String) });

    await clock.advance(MINUTE);
    const record = api.sim.record();
    expect(record.totals).toMatchObject({ submissions: 20, submittedTwice: 0, pendingActivations: 0 });
    expect(record.devices.every((d) => d.state === 'active' && d.activations === 1)).toBe(true);
  });

  it('sends the callbacks before the activate answer when the answer is held', async () => {
    const devices = [device(0), device(1, { type: 'NB-IoT' })];
    const { api, clock, listener } = await setup(devices, {
      activationDelayMs: 1_000,
      callbackDelayMs: 0,
      activateResponseDelayMs: 800,
    });
    let answered = false;
    const answer = api
      .post<{ requestId: string }>(ACTIVATE, activateBody(devices.map((d) => pair(d.deviceIds))))
      .finally(() => (answered = true));
    await clock.untilPending();
    await clock.advance(1_000);
    expect(answered).toBe(false);
    expect(listener.received).toHaveLength(3);
    const { requestId } = (await answer).body;
    expect(listener.received.every((r) => r.body.requestId === requestId)).toBe(true);
  });

  it('answers the rate limit as an ordinary-looking 400 whose code no client can know', async () => {
    const devices = [device(0), device(1), device(2)];
    const { api } = await setup(devices, { activateRateLimit: { max: 1 }, rateLimitResponse: '400' });
    expect((await api.post(ACTIVATE, activateBody([pair(devices[0]!.deviceIds)]))).statusCode).toBe(200);
    const limited = await api.post<Record<string, unknown>>(ACTIVATE, activateBody([pair(devices[1]!.deviceIds)]));
    expect(limited.statusCode).toBe(400);
    expect(Object.keys(limited.body).sort()).toEqual(['errorCode', 'errorMessage']);
    const code = limited.body.errorCode as string;
    expect(code).toMatch(/^\w+\.[A-Z_]+\.[\w.]+$/);
    expect(DOCUMENTED_ACTIVATE_ERROR_CODES).not.toContain(code);
    expect(code).not.toMatch(/INPUT_INVALID|SessionToken/);
    expect(limited.headers['retry-after']).toBeUndefined();
    expect(limited.headers['content-type']).toMatch(/application\/json/);

    api.sim.admin.setConfig({ rateLimitErrorCode: 'UnifiedWebService.REQUEST_FAILED.Throttle.Tps' });
    const other = await api.post<{ errorCode: string }>(ACTIVATE, activateBody([pair(devices[2]!.deviceIds)]));
    expect(other.body.errorCode).toBe('UnifiedWebService.REQUEST_FAILED.Throttle.Tps');
    expect(api.sim.record().totals.submissions).toBe(1);
  });

  it('exposes the virtual clock over the admin API, and refuses to advance real timers', async () => {
    const devices = [device(0)];
    const { api } = await setup(devices, { activationDelayMs: HOUR, callbackDelayMs: 0 });
    await api.post(ACTIVATE, activateBody([pair(devices[0]!.deviceIds)]));
    const clock = await api.admin<ClockState>('GET', '/clock');
    expect(clock.body).toEqual({ manual: true, now: 0, pendingTimers: 1, nextDueIn: HOUR });
    const advanced = await api.admin<ClockState>('POST', '/clock/advance', { ms: HOUR });
    expect(advanced.body).toEqual({ manual: true, now: HOUR, pendingTimers: 0, nextDueIn: null });
    expect(api.sim.record().devices[0]!.state).toBe('active');
    expect((await api.admin('POST', '/clock/advance', { ms: -1 })).statusCode).toBe(400);

    const real = await openSession({ seed: seedOf([device(1)]) });
    try {
      const res = await http.post(`${real.sim.origin}/admin/clock/advance`, {
        headers: { authorization: 'Bearer test-admin-token' },
        json: { ms: 1 },
      });
      expect(res.statusCode).toBe(409);
      expect((await real.admin<ClockState>('GET', '/clock')).body).toMatchObject({ manual: false });
    } finally {
      await real.sim.close();
    }
  });
});
