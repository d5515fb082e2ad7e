import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { MockActivityEnvironment } from '@temporalio/testing';
import { classifyActivateError, submitActivation } from '../../src/activities/submit-activation.js';
import type { SubmitActivationResult } from '../../src/activities/types.js';
import {
  ThingSpaceAuthError,
  ThingSpaceLoginBlockedError,
  ThingSpaceNetworkError,
  ThingSpaceRateLimitError,
  ThingSpaceRequestError,
  ThingSpaceServerError,
  ThingSpaceTimeoutError,
} from '../../src/thingspace/errors.js';
import {
  ACTIVATION,
  DEFAULT_ACCOUNT,
  seedDevice,
  startActivationFixture,
  type ActivationFixture,
} from '../harness/activation.js';

const activate = { operation: 'activate', retryable: false };

describe('classifyActivateError: what a failed activate means for the whole chunk', () => {
  it.each([
    [
      'a 400 judging the input',
      new ThingSpaceRequestError('x', {
        ...activate,
        status: 400,
        errorCode: 'UnifiedWebService.INPUT_INVALID.Devices.MaxDevicesExceeded',
      }),
      'refused',
    ],
    [
      'a rate limit answered as a 400 with an unknown code',
      new ThingSpaceRequestError('x', {
        ...activate,
        status: 400,
        errorCode: 'UnifiedWebService.REQUEST_FAILED.Throttled',
      }),
      'retry',
    ],
    ['a 400 with no code at all', new ThingSpaceRequestError('x', { ...activate, status: 400 }), 'retry'],
    [
      'a 429',
      new ThingSpaceRateLimitError('x', { ...activate, status: 429, retryable: true, retryAfterMs: 7_000 }),
      'retry',
    ],
    ['a 503', new ThingSpaceServerError('x', { ...activate, status: 503, retryable: true }), 'retry'],
    [
      'a 500 (may have been processed)',
      new ThingSpaceServerError('x', { ...activate, status: 500, ambiguous: true }),
      'ambiguous',
    ],
    ['a timeout after sending', new ThingSpaceTimeoutError('x', { ...activate, ambiguous: true }), 'ambiguous'],
    ['a connection refused (never sent)', new ThingSpaceNetworkError('x', { ...activate, retryable: true }), 'retry'],
    [
      'a login refused before the activate was sent',
      new ThingSpaceAuthError('x', { operation: 'session login', retryable: false, status: 400 }),
      'retry',
    ],
    [
      'an OAuth 4xx before the activate was sent',
      new ThingSpaceAuthError('x', { operation: 'oauth token', retryable: false, status: 401 }),
      'retry',
    ],
    [
      'a blocked login guard',
      new ThingSpaceLoginBlockedError('x', { operation: 'session login', retryable: false }),
      'retry',
    ],
  ])('%s → %s', (_name, error, kind) => {
    expect(classifyActivateError(error).kind).toBe(kind);
  });

  it('waits minutes, not seconds, before trying again behind a blocked login', () => {
    const result = classifyActivateError(
      new ThingSpaceLoginBlockedError('x', { operation: 'session login', retryable: false }),
    );
    expect(result).toMatchObject({ kind: 'retry', retryAfterMs: 300_000 });
  });
});

describe('submitActivation against the simulator (MockActivityEnvironment)', () => {
  let fixture: ActivationFixture;
  const devices = [seedDevice(1), seedDevice(2)];
  beforeAll(async () => {
    fixture = await startActivationFixture(devices, {
      rateLimitResponse: '400',
      activateRateLimit: { max: 1, windowMs: 60_000 },
    });
  });
  afterAll(async () => {
    await fixture.close();
  });

  it('takes a throttling 400 for "try again later", and nothing was submitted by the refused call', async () => {
    const env = new MockActivityEnvironment();
    const call = (n: number): Promise<SubmitActivationResult> =>
      env.run(submitActivation, fixture.thingspace, {
        accountName: DEFAULT_ACCOUNT,
        settings: ACTIVATION,
        devices: [{ deviceIds: devices[n]!.deviceIds }],
      });
    expect(await call(0)).toMatchObject({ kind: 'accepted' });
    const throttled = await call(1);
    expect(throttled).toMatchObject({ kind: 'retry' });
    expect(throttled.kind === 'retry' && throttled.errorMessage).toContain('possibly a rate limit');
    const [first, second] = fixture.sim.admin.devices({}).map((d) => d.submissions);
    expect([first, second]).toEqual([1, 0]);
  });
});
