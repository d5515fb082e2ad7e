/**
 * The failed-login budget as pure state (the rules both the in-process guard and the guard workflow run), with
 * the clock passed in: permits and outstanding logins, leases expiring, refusals counted once.
 */
import { describe, expect, it } from '@jest/globals';
import { LOGIN_FAILURE_HARD_LIMIT, LoginBudget } from '../../src/thingspace/auth/login-budget.js';
import { loginOutcomeOf } from '../../src/thingspace/auth/session.js';
import { ThingSpaceNetworkError, ThingSpaceTimeoutError } from '../../src/thingspace/errors.js';
import { Redactor } from '../../src/thingspace/redact.js';
import { errorFromResponse } from '../../src/thingspace/responses.js';

const T0 = Date.UTC(2026, 0, 1);
const LEASE = 120_000;

function budget() {
  return new LoginBudget({}, LEASE);
}

describe('LoginBudget', () => {
  it('grants while failures + outstanding < limit, then answers busy until a permit settles', () => {
    const b = budget();
    expect(b.acquire(T0, { permitId: 'a', limit: 2 })).toEqual({
      kind: 'granted',
      permitId: 'a',
      expiresAt: T0 + LEASE,
    });
    expect(b.acquire(T0, { permitId: 'b', limit: 2 })).toMatchObject({ kind: 'granted' });
    expect(b.acquire(T0 + 1_000, { permitId: 'c', limit: 2 })).toEqual({
      kind: 'busy',
      outstanding: 2,
      retryInMs: LEASE - 1_000,
    });
    b.settle(T0 + 2_000, { permitId: 'a', outcome: 'transient' });
    expect(b.acquire(T0 + 2_000, { permitId: 'c', limit: 2 })).toMatchObject({ kind: 'granted' });
    expect(b.view(T0 + 2_000)).toMatchObject({ failures: 0, outstanding: 2, blocked: false });
  });

  it('counts refusals, blocks at the limit, and a success anywhere clears them', () => {
    const b = budget();
    b.acquire(T0, { permitId: 'a', limit: 2 });
    b.acquire(T0, { permitId: 'b', limit: 2 });
    b.settle(T0 + 10, { permitId: 'a', outcome: 'refused', errorCode: 'X.AUTHENTICATION_FAILED' });
    // One failure plus one login in flight: nobody else may try.
    expect(b.acquire(T0 + 20, { permitId: 'c', limit: 2 })).toMatchObject({ kind: 'busy', outstanding: 1 });
    b.settle(T0 + 30, { permitId: 'b', outcome: 'refused', errorCode: 'X.AUTHENTICATION_FAILED' });
    expect(b.acquire(T0 + 40, { permitId: 'c', limit: 2 })).toEqual({
      kind: 'blocked',
      failures: 2,
      limit: 2,
      blockedSince: T0 + 30,
    });
    expect(b.view(T0 + 40)).toEqual({
      failures: 2,
      limit: 2,
      outstanding: 0,
      blocked: true,
      blockedSince: new Date(T0 + 30).toISOString(),
      lastRefusal: { errorCode: 'X.AUTHENTICATION_FAILED', at: new Date(T0 + 30).toISOString() },
    });
    b.reset();
    expect(b.view(T0 + 50)).toMatchObject({ failures: 0, blocked: false, blockedSince: null });
    b.acquire(T0 + 60, { permitId: 'd', limit: 2 });
    b.settle(T0 + 70, { permitId: 'd', outcome: 'refused' });
    b.acquire(T0 + 80, { permitId: 'e', limit: 2 });
    b.settle(T0 + 90, { permitId: 'e', outcome: 'success' });
    expect(b.view(T0 + 90)).toMatchObject({ failures: 0, outstanding: 0, blocked: false });
  });

  it('transient outcomes change nothing, however many', () => {
    const b = budget();
    for (let i = 0; i < 50; i++) {
      expect(b.acquire(T0 + i, { permitId: `p${i}`, limit: 2 })).toMatchObject({ kind: 'granted' });
      b.settle(T0 + i, { permitId: `p${i}`, outcome: 'transient' });
    }
    expect(b.view(T0 + 50)).toMatchObject({ failures: 0, outstanding: 0, blocked: false, lastRefusal: null });
  });

  it('a lease expires (its holder crashed) and frees its share; its late refusal still counts', () => {
    const b = budget();
    b.acquire(T0, { permitId: 'crashed', limit: 1 });
    expect(b.acquire(T0 + LEASE - 1, { permitId: 'x', limit: 1 })).toMatchObject({ kind: 'busy', retryInMs: 1 });
    expect(b.view(T0 + LEASE)).toMatchObject({ outstanding: 0 });
    expect(b.acquire(T0 + LEASE, { permitId: 'x', limit: 1 })).toMatchObject({ kind: 'granted' });
    b.settle(T0 + LEASE + 1, { permitId: 'crashed', outcome: 'refused' });
    expect(b.view(T0 + LEASE + 1)).toMatchObject({ failures: 1, outstanding: 1, blocked: true });
  });

  it('a retried acquire returns the same lease; a retried settle is counted once', () => {
    const b = budget();
    const first = b.acquire(T0, { permitId: 'a', limit: 2 });
    expect(b.acquire(T0 + 5, { permitId: 'a', limit: 2 })).toEqual(first);
    expect(b.view(T0 + 5).outstanding).toBe(1);
    b.settle(T0 + 10, { permitId: 'a', outcome: 'refused' });
    b.settle(T0 + 11, { permitId: 'a', outcome: 'refused' });
    expect(b.view(T0 + 11)).toMatchObject({ failures: 1, outstanding: 0 });
  });

  it(`never allows more than ${LOGIN_FAILURE_HARD_LIMIT} failures in a row, whatever a caller asks`, () => {
    const b = budget();
    let refused = 0;
    for (let i = 0; i < 20; i++) {
      const decision = b.acquire(T0 + i, { permitId: `p${i}`, limit: 99 });
      if (decision.kind !== 'granted') break;
      b.settle(T0 + i, { permitId: `p${i}`, outcome: 'refused' });
      refused++;
    }
    expect(refused).toBe(LOGIN_FAILURE_HARD_LIMIT);
    expect(() => b.acquire(T0, { permitId: 'z', limit: 0 })).toThrow('limit must be a positive integer');
  });

  it('survives a snapshot round trip (continue-as-new) with failures, leases and settled permits', () => {
    const b = budget();
    b.acquire(T0, { permitId: 'a', limit: 3 });
    b.acquire(T0, { permitId: 'b', limit: 3 });
    b.settle(T0 + 1, { permitId: 'a', outcome: 'refused', errorCode: 'CODE' });
    const copy = new LoginBudget(JSON.parse(JSON.stringify(b.snapshot())), LEASE);
    expect(copy.view(T0 + 2)).toEqual(b.view(T0 + 2));
    copy.settle(T0 + 3, { permitId: 'a', outcome: 'refused' }); // already settled before the move
    expect(copy.acquire(T0 + 3, { permitId: 'c', limit: 3 })).toMatchObject({ kind: 'granted' });
    expect(copy.acquire(T0 + 3, { permitId: 'd', limit: 3 })).toMatchObject({ kind: 'busy', outstanding: 2 });
  });
});

describe('loginOutcomeOf: only credential refusals count', () => {
  const http = (status: number, body?: unknown, operation = 'session login') =>
    errorFromResponse(
      { operation, method: 'POST', url: 'http://x', headers: {}, timeoutMs: 1, connectTimeoutMs: 1, idempotent: true },
      { status, headers: {}, text: body === undefined ? '' : JSON.stringify(body), json: body },
      new Redactor(),
    );
  const m2m = (errorCode: string) => ({ errorCode, errorMessage: 'no' });

  it.each([
    [400, m2m('UnifiedWebService.AUTHENTICATION_FAILED.Login.InvalidCredentials'), 'refused'],
    [401, m2m('UnifiedWebService.AUTHENTICATION_FAILED.Login.AccountLocked'), 'refused'],
    [403, undefined, 'refused'],
    [408, undefined, 'transient'],
    [429, undefined, 'transient'],
    [500, undefined, 'transient'],
    [502, undefined, 'transient'],
    [503, undefined, 'transient'],
    [504, undefined, 'transient'],
    [401, { fault: { code: '900901', message: 'Invalid Credentials' } }, 'transient'],
  ])('HTTP %i %j → %s', (status, body, outcome) => {
    expect(loginOutcomeOf(http(status, body))).toBe(outcome);
  });

  it('a refused bearer or OAuth token, a timeout or a network error is transient', () => {
    const oauth = { error: 'invalid_client', error_description: 'Client authentication failed' };
    expect(loginOutcomeOf(http(401, oauth, 'oauth token'))).toBe('transient');
    const timeout = new ThingSpaceTimeoutError('session login timed out', {
      operation: 'session login',
      retryable: true,
      ambiguous: true,
    });
    expect(loginOutcomeOf(timeout)).toBe('transient');
    expect(loginOutcomeOf(new ThingSpaceNetworkError('reset', { operation: 'session login', retryable: true }))).toBe(
      'transient',
    );
    expect(loginOutcomeOf(new Error('anything else'))).toBe('transient');
  });
});
