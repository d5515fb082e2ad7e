/**
 * The list-call watch (admin API): records what each list call asked for, holds calls after `holdAfter` until
 * released, and is inert when not started.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ListWatchState } from '../../src/simulator/index.js';
import { seedDevice } from '../harness/activation.js';
import { DEFAULT_ACCOUNT, DEFAULT_APP, DEFAULT_USER, openSession, type ApiSession } from './helpers.js';

describe('simulator list-call watch', () => {
  let api: ApiSession;
  beforeAll(async () => {
    api = await openSession({
      seed: {
        apps: [DEFAULT_APP],
        users: [{ ...DEFAULT_USER, accountNames: [DEFAULT_ACCOUNT] }],
        accounts: [DEFAULT_ACCOUNT],
        devices: Array.from({ length: 30 }, (_, i) => seedDevice(i)),
      },
      config: { listPageSize: 10 },
    });
  });
  afterAll(() => api.sim.close());

  const page = (largestDeviceIdSeen?: string) =>
    api.post<{ hasMoreData: boolean; devices: unknown[] }>('/m2m/v1/devices/actions/list', {
      accountName: DEFAULT_ACCOUNT,
      filter: { deviceIdentifierFilters: [{ kind: 'imei', contains: '3500', startswith: '3500' }] },
      ...(largestDeviceIdSeen !== undefined && { largestDeviceIdSeen }),
    });

  it('records each call, holds the calls after holdAfter until released, and stops', async () => {
    expect((await api.admin('POST', '/list-calls/watch', { holdAfter: 2 })).statusCode).toBe(204);
    const before = api.sim.admin.listCalls();
    expect((await page()).statusCode).toBe(202);
    expect((await page('7300000010')).statusCode).toBe(202);

    let answered = false;
    const third = page('7300000020').then((r) => ((answered = true), r));
    await api.sim.admin.listCallHeld();
    const holding = await api.admin<ListWatchState>('GET', '/list-calls/watch');
    expect(holding.body).toMatchObject({ active: true, holdAfter: 2, held: 1 });
    expect(holding.body.calls).toHaveLength(2);
    expect(answered).toBe(false);
    expect(api.sim.admin.listCalls()).toBe(before + 2);

    expect((await api.admin('POST', '/list-calls/release')).statusCode).toBe(204);
    expect((await third).statusCode).toBe(200);
    const done = await api.admin<ListWatchState>('GET', '/list-calls/watch');
    expect(done.body).toMatchObject({ active: true, holdAfter: null, held: 0 });
    expect(done.body.calls).toEqual([
      { call: before + 1, startswith: '3500' },
      { call: before + 2, startswith: '3500', largestDeviceIdSeen: '7300000010' },
      { call: before + 3, startswith: '3500', largestDeviceIdSeen: '7300000020' },
    ]);

    expect((await api.admin('DELETE', '/list-calls/watch')).statusCode).toBe(204);
    await page();
    expect((await api.admin<ListWatchState>('GET', '/list-calls/watch')).body).toEqual({
      active: false,
      holdAfter: null,
      held: 0,
      calls: [],
    });
  });

  it('refuses a bad holdAfter, naming the field', async () => {
    const answer = await api.admin<{ error: string }>('POST', '/list-calls/watch', { holdAfter: -1 });
    expect(answer.statusCode).toBe(400);
    expect(JSON.stringify(answer.body)).toContain('holdAfter');
  });
});
