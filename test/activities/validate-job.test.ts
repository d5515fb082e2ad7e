/** validateJobRequest on its own: the refusal every caller gets, in any language, before anything is sent. */
import { describe, expect, it } from '@jest/globals';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { Client } from '@temporalio/client';
import { createActivities } from '../../src/activities/index.js';
import { INVALID_JOB_REQUEST } from '../../src/activities/validate-job.js';
import type { BlobStore } from '../../src/storage/blob-store.js';
import type { ThingSpaceClient } from '../../src/thingspace/client.js';
import { MAX_REQUESTS_PER_JOB } from '../../src/activation/job-limits.js';
import { jobRequest, seedDevice } from '../harness/activation.js';

/** Validation never calls ThingSpace nor Temporal: clients that would throw if used prove it. */
const unused = <T extends object>(what: string) =>
  new Proxy({} as T, {
    get: () => {
      throw new Error(`validateJobRequest must not use ${what}`);
    },
  });
const { validateJobRequest } = createActivities(
  unused<ThingSpaceClient>('ThingSpace'),
  unused<Client>('Temporal'),
  unused<BlobStore>('the store'),
);

describe('validateJobRequest', () => {
  it('accepts a valid job and counts its devices', async () => {
    const request = jobRequest('job-valid', [seedDevice(1), seedDevice(2)]);
    expect(await new MockActivityEnvironment().run(validateJobRequest, request)).toEqual({ devices: 2 });
  });

  it('refuses an invalid job for good, naming each field and rule', async () => {
    const request = { ...jobRequest('job-invalid', [seedDevice(1)]), accountName: '' };
    request.devices![0]!.deviceIds[0]!.id = '12345678901234567';
    const error = await new MockActivityEnvironment().run(validateJobRequest, request).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ApplicationFailure);
    const failure = error as ApplicationFailure;
    expect(failure).toMatchObject({ type: INVALID_JOB_REQUEST, nonRetryable: true });
    expect(failure.message).toMatch(/^Invalid job request: /);
    expect(failure.message).toMatch(/accountName/);
    expect(failure.message).toMatch(/devices\[0\]\.deviceIds\[0\]\.id: imei must be 1-16 decimal digits/);
    expect(failure.details?.[0]).toEqual(expect.arrayContaining([expect.objectContaining({ path: ['accountName'] })]));
  });

  it('refuses listed devices that would take more activate requests than a job sends, naming the smallest size', async () => {
    const seeds = Array.from({ length: MAX_REQUESTS_PER_JOB + 1 }, (_, i) => seedDevice(i + 1));
    const ok = jobRequest('job-requests-ok', seeds, { maxDevicesPerRequest: 2 });
    expect(await new MockActivityEnvironment().run(validateJobRequest, ok)).toEqual({ devices: seeds.length });
    const request = jobRequest('job-requests', seeds, { maxDevicesPerRequest: 1 });
    const error = await new MockActivityEnvironment().run(validateJobRequest, request).catch((err: unknown) => err);
    expect(error).toMatchObject({ type: INVALID_JOB_REQUEST, nonRetryable: true });
    expect((error as ApplicationFailure).message).toMatch(
      /options\.maxDevicesPerRequest: maxDevicesPerRequest must be at least 2 for 501 listed devices: a job sends at most 500 activate requests/,
    );
  });
});
