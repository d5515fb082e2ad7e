import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DeviceReport } from '../../src/activation/model.js';
import { ActivationClient } from '../../src/client.js';
import {
  nbIotDevice,
  jobRequest,
  seedDevice,
  startActivationFixture,
  type ActivationFixture,
} from '../harness/activation.js';
import { connectTestClient, uniqueTaskQueue, withActivationWorkers, type TestTemporal } from '../harness/temporal.js';
import { registerCallbacks } from '../../src/cli/register-callbacks.js';
import { LISTENER, startWebhook, type RunningWebhook } from '../webhook/fixtures.js';

let temporal: TestTemporal;
let fixture: ActivationFixture;
let webhook: RunningWebhook;

const seeds = [
  seedDevice(800),
  seedDevice(801, { state: 'deactive' }),
  seedDevice(802, { outcome: { activation: 'failure', reason: 'Invalid ICCID' } }),
  nbIotDevice(803, { outcome: { nidd: 'success' } }),
  nbIotDevice(804, { outcome: { nidd: 'failure', niddReason: 'Not CatM or NBIoT Device' } }),
  seedDevice(805, { state: 'active' }),
  seedDevice(806, { inAccount: false }),
  seedDevice(807, { state: 'suspend' }),
];

beforeAll(async () => {
  temporal = await connectTestClient();
  fixture = await startActivationFixture(seeds, { outcomes: { duplicateRate: 0.5, reorder: true } });
  webhook = await startWebhook({ client: temporal.client });
  await registerCallbacks(fixture.thingspace, { url: webhook.url, credentials: LISTENER });
});
afterAll(async () => {
  await webhook.close();
  await fixture.close();
  await temporal.close();
});

describe('a small job with mixed outcomes, settled by callbacks through the webhook', () => {
  it('reports every device correctly, NB-IoT devices with their NIDD result', async () => {
    const taskQueue = uniqueTaskQueue('job-callbacks');
    const jobId = `job-callbacks-${Date.now()}`;
    const activation = new ActivationClient(temporal.client, taskQueue);
    const report = await withActivationWorkers(taskQueue, fixture.thingspace, async () => {
      // The callback wait is long: every submitted device must be settled by its callbacks, not by polling.
      const { handle } = await activation.startJob(jobRequest(jobId, seeds, { callbackTimeout: '10 minutes' }));
      await handle.result();
      const rows: DeviceReport[] = [];
      for await (const page of activation.report(jobId)) rows.push(...page);
      return new Map(rows.map((r) => [r.key, r]));
    });

    const at = (n: number) => report.get(`imei:35000000${String(n).padStart(7, '0')}`);
    expect(report.size).toBe(8);
    expect(at(800)).toMatchObject({ outcome: 'activated', source: 'callback', state: 'Active' });
    expect(at(800)?.assignedIds.map((id) => id.kind.toLowerCase())).toEqual(
      expect.arrayContaining(['mdn', 'msisdn', 'imsi']),
    );
    expect(at(800)?.ipAddress).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(at(801)).toMatchObject({ outcome: 'activated', source: 'callback' });
    expect(at(802)).toMatchObject({ outcome: 'failed', source: 'callback', reason: 'Invalid ICCID' });
    expect(at(803)).toMatchObject({ outcome: 'activated', nidd: 'success', source: 'callback' });
    // The line is active (and billed); only its NIDD configuration failed: activated, NIDD failed beside it.
    expect(at(804)).toMatchObject({ outcome: 'activated', nidd: 'failed', niddReason: 'Not CatM or NBIoT Device' });
    expect(at(805)).toMatchObject({ outcome: 'skipped', reason: 'already active' });
    expect(at(806)).toMatchObject({ outcome: 'skipped', reason: 'not in account' });
    expect(at(807)).toMatchObject({ outcome: 'skipped', reason: 'ineligible state: suspend' });
    expect(fixture.sim.admin.submissions()).toMatchObject({ totalSubmissions: 5, resubmitted: [] });
  });
});
