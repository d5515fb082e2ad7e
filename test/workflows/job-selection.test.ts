/**
 * Jobs that name a device group and/or custom-field values instead of (or besides) a device list: resolved through
 * the list endpoint's filters, checked, activated and reported like listed devices. Dev server, simulator over HTTP,
 * real workers; the simulator's own submission counters say which devices were sent.
 */
import { describe, expect, it } from '@jest/globals';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { JobRequestInput } from '../../src/activation/job.js';
import type { JobResult } from '../../src/activation/job-result.js';
import type { DeviceReport } from '../../src/activation/model.js';
import { INVALID_JOB_REQUEST } from '../../src/activities/validate-job.js';
import { ActivationClient, InvalidJobRequestError } from '../../src/client.js';
import type { SeedDevice } from '../../src/simulator/index.js';
import { ACTIVATION, DEFAULT_ACCOUNT, jobDevice, seedDevice, startActivationFixture } from '../harness/activation.js';
import { hasFields, inGroup, matching, selectionDevice, selectionSeed } from '../harness/selection-seed.js';
import { uniqueTaskQueue, withActivationWorkers } from '../harness/temporal.js';
import { useTestTemporal } from '../harness/test-temporal.js';
import { eventually } from '../harness/eventually.js';

const temporal = useTestTemporal();

const COUNT = 60;
const FAST_POLLING = { callbackTimeout: '1 second', pollInterval: '500 milliseconds', pollDeadline: '30 seconds' };
const READY_STATES = new Set(['pre-active', 'preactive', 'deactive']);

const isNbIot = (seed: SeedDevice) => seed.type === 'NB-IoT';
const imeiKey = (seed: SeedDevice) => `imei:${seed.deviceIds.find((d) => d.kind === 'imei')!.id}`;
const keysOf = (numbers: number[]) => numbers.map((n) => imeiKey(selectionDevice(n))).sort();

interface Run {
  result: JobResult;
  report: DeviceReport[];
  /** Canonical keys of the devices the simulator received, each with how often. */
  submitted: Map<string, number>;
}

/** Runs one job on a fresh simulator seeded with the selection account (and another account using the same groups). */
async function runJob(request: Omit<JobRequestInput, 'jobId' | 'accountName' | 'activation'>): Promise<Run> {
  const fixture = await startActivationFixture(selectionSeed(COUNT, 20));
  try {
    const taskQueue = uniqueTaskQueue('job-selection');
    const jobId = `job-selection-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
    const activation = new ActivationClient(temporal.client, taskQueue);
    return await withActivationWorkers(taskQueue, fixture.thingspace, async () => {
      const { handle } = await activation.startJob({
        jobId,
        accountName: DEFAULT_ACCOUNT,
        activation: ACTIVATION,
        options: FAST_POLLING,
        ...request,
      });
      const result = await handle.result();
      const report: DeviceReport[] = [];
      for await (const page of activation.report(jobId)) report.push(...page);
      const submitted = new Map(
        fixture.sim.admin
          .submissions()
          .devices.map((d) => [
            `imei:${d.deviceIds.find((id) => id.kind.toLowerCase() === 'imei')!.id}`,
            d.submissions,
          ]),
      );
      return { result, report, submitted };
    });
  } finally {
    await fixture.close();
  }
}

/** What a job over `selected` (device numbers) must show: every 4G one reported, only the ready ones submitted once. */
function expectSelectionJob(run: Run, selected: number[]) {
  const fourG = selected.filter((n) => !isNbIot(selectionDevice(n)));
  const ready = fourG.filter((n) => READY_STATES.has(selectionDevice(n).state ?? 'pre-active'));
  expect(run.result.phase).toBe('done');
  expect(run.result.counts).toMatchObject({ total: fourG.length, activated: ready.length, pending: 0 });
  expect(run.result.counts.skipped).toBe(fourG.length - ready.length);
  expect(run.report.map((r) => r.key).sort()).toEqual(keysOf(fourG));
  // No device outside the selection was sent, and each selected ready device exactly once.
  expect([...run.submitted.keys()].sort()).toEqual(keysOf(ready));
  expect([...run.submitted.values()].every((times) => times === 1)).toBe(true);
  return { fourG, ready };
}

describe('activationJob with a selection (dev server, simulator, real workers)', () => {
  it('a device group: reports exactly its 4G devices, submits only the ready ones, counts the NB-IoT ones left out', async () => {
    const run = await runJob({ selection: { groupName: '4G West' } });
    const group = matching(COUNT, inGroup('4G West'));
    const { fourG, ready } = expectSelectionJob(run, group);
    expect(fourG.length).toBeGreaterThan(20);
    expect(ready.length).toBeGreaterThan(5);
    expect(run.result.selection).toMatchObject({
      resolved: fourG.length,
      alsoListed: 0,
      excludedNbIot: group.length - fourG.length,
    });
    expect(run.result.selection!.excludedNbIot).toBeGreaterThan(0);
    expect(run.result.selection!.listCalls).toBeGreaterThan(0);
    expect(run.report.filter((r) => r.outcome === 'skipped').map((r) => r.reason)).toContain('already active');
  });

  it('custom fields: only the devices carrying every given value', async () => {
    const customFields = [
      { key: 'CustomField2' as const, value: 'SuperVend' },
      { key: 'CustomField1' as const, value: 'Blue' },
    ];
    const run = await runJob({ selection: { customFields } });
    const selected = matching(COUNT, hasFields(customFields));
    // Fewer than carry either value alone: the filters are AND-ed.
    expect(selected.length).toBeLessThan(matching(COUNT, hasFields(customFields.slice(0, 1))).length);
    const { fourG } = expectSelectionJob(run, selected);
    expect(run.result.selection).toMatchObject({ resolved: fourG.length, alsoListed: 0 });
  });

  it('a group and a device list that overlap: every device activated once, the listed ones as listed', async () => {
    const group = matching(COUNT, inGroup('4G East'));
    const readyInGroup = group.filter((n) => {
      const seed = selectionDevice(n);
      return !isNbIot(seed) && READY_STATES.has(seed.state ?? 'pre-active');
    });
    const outside = matching(
      COUNT,
      (seed) => !inGroup('4G East')(seed) && !isNbIot(seed) && READY_STATES.has(seed.state ?? 'pre-active'),
    );
    const [byImei, byIccidOnly] = readyInGroup;
    const iccidOnly = selectionDevice(byIccidOnly!).deviceIds.filter((d) => d.kind === 'iccid');
    const devices = [
      jobDevice(selectionDevice(byImei!)),
      // Named by its ICCID alone, where the list names IMEI and ICCID: still the same device.
      { deviceIds: iccidOnly },
      jobDevice(selectionDevice(outside[0]!)),
    ];
    const run = await runJob({ devices, selection: { groupName: '4G East' } });

    const fourG = group.filter((n) => !isNbIot(selectionDevice(n)));
    expect(run.result.selection).toMatchObject({ resolved: fourG.length, alsoListed: 2 });
    expect(run.result.counts).toMatchObject({ total: fourG.length + 1, pending: 0 });
    expect(run.result.counts.activated).toBe(readyInGroup.length + 1);
    expect([...run.submitted.keys()].sort()).toEqual(keysOf([...readyInGroup, outside[0]!]));
    expect([...run.submitted.values()].every((times) => times === 1)).toBe(true);
    // The ICCID-only device is reported under its listed identity, once.
    expect(run.report.filter((r) => r.key === `iccid:${iccidOnly[0]!.id}`)).toHaveLength(1);
    expect(run.report.filter((r) => r.key === imeiKey(selectionDevice(byIccidOnly!)))).toHaveLength(0);
    expect(run.report).toHaveLength(fourG.length + 1);
  });

  it('a group of several thousand devices: written to the store in one activity, staged as one part, each device once', async () => {
    const SIZE = 5_300;
    // Mostly active devices: the job checks all of them but submits only the few ready ones.
    const seeds = Array.from({ length: SIZE }, (_, n) =>
      seedDevice(60_000 + n, { groupNames: ['Big'], state: n % 1_000 === 0 ? 'pre-active' : 'active' }),
    );
    const fixture = await startActivationFixture([...seeds, ...selectionSeed(20, 0)], { listPageSize: 2_000 });
    try {
      const taskQueue = uniqueTaskQueue('job-selection');
      const jobId = `job-selection-big-${Date.now()}`;
      const activation = new ActivationClient(temporal.client, taskQueue);
      // The selection's second page is held: until then the job knows one page of its devices.
      fixture.sim.admin.watchListCalls({ holdAfter: 1 });
      const { result, activities, resolving } = await withActivationWorkers(taskQueue, fixture.thingspace, async () => {
        const { handle } = await activation.startJob({
          jobId,
          accountName: DEFAULT_ACCOUNT,
          activation: ACTIVATION,
          options: FAST_POLLING,
          selection: { groupName: 'Big' },
        });
        await fixture.sim.admin.listCallHeld();
        // What `status` shows while the selection resolves: the pages so far, from the activity's heartbeat (sent
        // within Temporal's heartbeat throttle, 16 s here, so this waits for it rather than a fixed time).
        const resolving = await eventually('the selection so far in the job progress', async () => {
          const progress = await activation.liveProgress(jobId);
          return progress.selection?.resolved ? progress : undefined;
        });
        fixture.sim.admin.releaseListCalls();
        const result = await handle.result();
        const { events } = await handle.fetchHistory();
        const activities = (events ?? [])
          .map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name)
          .filter((name) => name === 'resolveSelection' || name === 'storeSelection' || name === 'stageDeviceList');
        return { result, activities, resolving };
      });
      expect(resolving).toMatchObject({
        phase: 'resolving',
        selection: { resolved: 2_000, listCalls: 1, alsoListed: 0, excludedNbIot: 0 },
      });
      // The devices went through the store, never through the workflow page by page; one part: no part jobs.
      expect(activities).toEqual(['storeSelection', 'stageDeviceList']);
      expect(result.parts).toBeUndefined();
      expect(result.selection).toMatchObject({ resolved: SIZE, alsoListed: 0, excludedNbIot: 0 });
      expect(result.selection!.listCalls).toBe(Math.ceil(SIZE / 2_000));
      expect(result.counts).toMatchObject({ total: SIZE, activated: 6, skipped: SIZE - 6, pending: 0 });
      const submissions = fixture.sim.admin.submissions();
      expect(submissions).toMatchObject({ totalSubmissions: 6, resubmitted: [] });
    } finally {
      await fixture.close();
    }
  }, 120_000);

  it('a group with no device in the account: the job ends with nothing to do and submits nothing', async () => {
    const run = await runJob({ selection: { groupName: 'No Such Group' } });
    expect(run.result.phase).toBe('done');
    expect(run.result.counts).toMatchObject({ total: 0, pending: 0 });
    expect(run.result.selection).toEqual({ resolved: 0, excludedNbIot: 0, alsoListed: 0, listCalls: 1 });
    expect(run.result.requests).toEqual([]);
    expect(run.submitted.size).toBe(0);
  });

  it('refuses a request with neither devices nor selection, and an empty selection, naming the fields', async () => {
    const fixture = await startActivationFixture(selectionSeed(5, 0));
    try {
      const taskQueue = uniqueTaskQueue('job-selection');
      const base = { accountName: DEFAULT_ACCOUNT, activation: ACTIVATION };
      const activation = new ActivationClient(temporal.client, taskQueue);
      await expect(activation.startJob({ jobId: `sel-neither-${Date.now()}`, ...base })).rejects.toThrow(
        InvalidJobRequestError,
      );
      const failures = await withActivationWorkers(taskQueue, fixture.thingspace, () =>
        Promise.all(
          [{}, { selection: {} }, { selection: { groupName: '', customFields: [{ key: 'Colour', value: 'x' }] } }].map(
            async (extra, i) => {
              // Started past the client's own check, as a caller in another language would.
              const jobId = `sel-invalid-${i}-${Date.now()}`;
              const handle = await temporal.client.workflow.start('activationJob', {
                taskQueue,
                workflowId: jobId,
                args: [{ jobId, ...base, ...extra }],
              });
              return handle.result().then(
                () => undefined,
                (err: unknown) => err,
              );
            },
          ),
        ),
      );
      const messages = failures.map((error) => {
        expect(error).toBeInstanceOf(WorkflowFailedError);
        const cause = (error as WorkflowFailedError).cause;
        expect(cause).toBeInstanceOf(ApplicationFailure);
        expect((cause as ApplicationFailure).type).toBe(INVALID_JOB_REQUEST);
        return cause!.message;
      });
      expect(messages[0]).toContain('devices: devices, deviceList or selection is required');
      expect(messages[1]).toContain('selection: selection must name groupName and/or customFields');
      expect(messages[2]).toContain('selection.groupName: groupName must not be empty');
      expect(messages[2]).toContain('selection.customFields[0].key: key must be one of CustomField1');
      expect(fixture.sim.admin.submissions().totalSubmissions).toBe(0);
    } finally {
      await fixture.close();
    }
  });
});
