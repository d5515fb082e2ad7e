import { afterEach, describe, expect, it } from '@jest/globals';
import { ErrorCodes } from '../../src/simulator/index.js';
import { DEFAULT_USER, http, login, openSession, token, type ApiSession } from './helpers.js';

/** The simulator's clock, moved only by the test: lifetimes are checked at their exact edges, without waiting. */
function manualClock() {
  let now = Date.now();
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

describe('simulator auth', () => {
  let api: ApiSession | undefined;
  afterEach(async () => {
    await api?.sim.close();
    api = undefined;
  });

  it('issues the same OAuth token while it is valid and refuses bad client credentials', async () => {
    api = await openSession();
    const first = await token(api.sim);
    const second = await token(api.sim);
    expect(first.statusCode).toBe(200);
    expect(first.body).toMatchObject({ token_type: 'Bearer', scope: expect.any(String) });
    expect(first.body.expires_in).toBeGreaterThan(3500);
    expect(second.body.access_token).toBe(first.body.access_token);

    const bad = await token(api.sim, 'sim-app-key', 'wrong');
    expect(bad.statusCode).toBe(401);
    expect(bad.body).toMatchObject({ error: 'invalid_client', error_description: expect.any(String) });

    const badGrant = await http.post(`${api.sim.url}/ts/v1/oauth2/token`, {
      headers: { authorization: `Basic ${Buffer.from('sim-app-key:sim-app-secret').toString('base64')}` },
      form: { grant_type: 'password' },
    });
    expect(badGrant.statusCode).toBe(400);
    expect(badGrant.body).toMatchObject({ error: 'unsupported_grant_type' });
  });

  it('answers gateway faults 900902 without a bearer and 900901 with a bad one', async () => {
    api = await openSession();
    const missing = await http.post(`${api.sim.url}/m2m/v1/devices/actions/list`, {
      headers: { 'vz-m2m-token': api.session },
      json: {},
    });
    expect(missing.statusCode).toBe(401);
    expect(missing.body).toMatchObject({ fault: { code: '900902' } });
    const bad = await api.post('/m2m/v1/devices/actions/list', {}, { authorization: 'Bearer nope' });
    expect(bad.statusCode).toBe(401);
    expect(bad.body).toMatchObject({ fault: { code: '900901' } });
    const noSession = await api.post('/m2m/v1/devices/actions/list', {}, { 'vz-m2m-token': 'unknown' });
    expect(noSession.statusCode).toBe(400);
    expect(noSession.body).toMatchObject({ errorCode: ErrorCodes.sessionInvalid });
  });

  it('logs in with expiresIn and logs out', async () => {
    api = await openSession();
    const ok = await login(api.sim, api.bearer, DEFAULT_USER.username, DEFAULT_USER.password);
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toEqual({ sessionToken: expect.any(String), expiresIn: 1200 });
    const out = await api.post('/m2m/v1/session/logout');
    expect(out.statusCode).toBe(200);
    const after = await api.post('/m2m/v1/devices/actions/list', {});
    expect(after.statusCode).toBe(400);
  });

  it('locks the account after 5 failed logins in a row until an admin reset', async () => {
    api = await openSession();
    const { sim, bearer } = api;
    // Four failures then a success: the count restarts, so this must not lock.
    for (let i = 0; i < 4; i++) expect((await login(sim, bearer, DEFAULT_USER.username, 'bad')).statusCode).toBe(400);
    expect((await login(sim, bearer, DEFAULT_USER.username, DEFAULT_USER.password)).statusCode).toBe(200);

    for (let i = 0; i < 5; i++) {
      const failed = await login(sim, bearer, DEFAULT_USER.username, 'bad');
      expect(failed.body.errorCode).toBe(ErrorCodes.loginFailed);
    }
    const locked = await login(sim, bearer, DEFAULT_USER.username, DEFAULT_USER.password);
    expect(locked.statusCode).toBe(400);
    expect(locked.body.errorCode).toBe(ErrorCodes.accountLocked);
    expect(sim.admin.lockout(DEFAULT_USER.username)).toEqual({ locked: true, failedLogins: 5 });

    expect((await api.admin('POST', '/lockout/reset', { username: DEFAULT_USER.username })).statusCode).toBe(204);
    expect((await login(sim, bearer, DEFAULT_USER.username, DEFAULT_USER.password)).statusCode).toBe(200);
  });

  it('expires an idle session with SessionToken.Expired and keeps a used one alive', async () => {
    const clock = manualClock();
    api = await openSession({ config: { sessionIdleTimeoutMs: 300 }, now: clock.now });
    // Used every 300 ms (idle for exactly the timeout, not more): the session stays alive well past 300 ms.
    for (let i = 0; i < 4; i++) {
      clock.advance(300);
      expect((await api.post('/m2m/v1/devices/actions/list', { maxNumberOfDevices: 1 })).statusCode).toBe(202);
    }
    clock.advance(301);
    const expired = await api.post('/m2m/v1/devices/actions/list', {});
    expect(expired.statusCode).toBe(400);
    expect(expired.body).toMatchObject({ errorCode: 'UnifiedWebService.REQUEST_FAILED.SessionToken.Expired' });
  });

  it('expires a session at its absolute lifetime even when used', async () => {
    const clock = manualClock();
    api = await openSession({ config: { sessionMaxLifetimeMs: 400 }, now: clock.now });
    clock.advance(400);
    expect((await api.post('/m2m/v1/devices/actions/list', {})).statusCode).toBe(200);
    clock.advance(1);
    const expired = await api.post('/m2m/v1/devices/actions/list', {});
    expect(expired.body).toMatchObject({ errorCode: ErrorCodes.sessionExpired });
  });

  it('lets the admin expire OAuth tokens and sessions', async () => {
    api = await openSession();
    api.sim.admin.expireTokens('sessions');
    expect((await api.post('/m2m/v1/devices/actions/list', {})).body).toMatchObject({
      errorCode: ErrorCodes.sessionExpired,
    });
    api.sim.admin.expireTokens('oauth');
    expect((await api.post('/m2m/v1/devices/actions/list', {})).statusCode).toBe(401);
    expect((await token(api.sim)).body.access_token).not.toBe(api.bearer);
  });
});
