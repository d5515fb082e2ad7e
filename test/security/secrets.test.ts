/**
 * No secret anywhere Temporal or a log keeps it. A job runs end to end with the worker and the webhook as real
 * processes and the simulator's real callbacks; then every run's history of the job and its request workflows
 * (decoded with the product's data converter) and every line the processes printed are searched for the app
 * secret, the user's password, the OAuth and session tokens the worker was really given, the callback password
 * and every device credential password.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ActivationClient } from '../../src/client.js';
import { registerCallbacks } from '../../src/cli/register-callbacks.js';
import { freePort } from '../../src/devserver/dev-server.js';
import { startProcess, type RunningProcess } from '../../src/devserver/processes.js';
import { DEFAULT_APP, DEFAULT_USER, type SeedDevice } from '../../src/simulator/index.js';
import { loginGuardWorkflowId } from '../../src/temporal/login-guard.js';
import {
  DEFAULT_ACCOUNT,
  jobRequest,
  nbIotDevice,
  seedDevice,
  startActivationFixture,
  type ActivationFixture,
} from '../harness/activation.js';
import { dumpWorkflows } from '../harness/history-dump.js';
import { startRecordingProxy, type RecordingProxy } from '../harness/recording-proxy.js';
import { connectTestClient, uniqueTaskQueue, type TestTemporal } from '../harness/temporal.js';

const CALLBACK_USER = 'secrets-test-listener';
const CALLBACK_PASSWORD = `cb-pw-${randomBytes(12).toString('hex')}`;

/** Where each secret was found; empty when none was. */
function findSecrets(haystacks: Record<string, string>, secrets: Record<string, string>): string[] {
  const found: string[] = [];
  for (const [what, secret] of Object.entries(secrets)) {
    for (const [where, text] of Object.entries(haystacks)) if (text.includes(secret)) found.push(`${what} in ${where}`);
  }
  return found;
}

let temporal: TestTemporal;
let fixture: ActivationFixture;
let api: RecordingProxy;
let callbacks: RecordingProxy | undefined;
const processes: RunningProcess[] = [];
/** The simulator makes a device's credential password its MDN, which the report rightly holds; real ones differ. */
const devicePasswords = new Map<string, string>();

const seeds: SeedDevice[] = [
  ...Array.from({ length: 16 }, (_, n) => seedDevice(70_000 + n)),
  ...Array.from({ length: 4 }, (_, n) => nbIotDevice(70_100 + n)),
  seedDevice(70_200, { outcome: { activation: 'failure', reason: 'Device not eligible for plan' } }),
];

beforeAll(async () => {
  temporal = await connectTestClient();
  fixture = await startActivationFixture(seeds, { outcomes: { duplicateRate: 0.2, reorder: true } });
  api = await startRecordingProxy(fixture.sim.origin);
});
afterAll(async () => {
  for (const child of processes) await child.kill('SIGTERM');
  await callbacks?.close();
  await api.close();
  await fixture.close();
  await temporal.close();
});

function giveDevicesTheirOwnPassword(body: unknown): unknown {
  const credential = (body as { deviceResponse?: { activateResponse?: { deviceCredential?: { password?: string } } } })
    ?.deviceResponse?.activateResponse?.deviceCredential;
  if (credential?.password) {
    const own = devicePasswords.get(credential.password) ?? `dev-pw-${randomBytes(10).toString('hex')}`;
    devicePasswords.set(credential.password, own);
    credential.password = own;
  }
  return body;
}

describe('secrets', () => {
  it('the search finds a planted secret (positive control)', () => {
    const planted = `{"note":"token ${CALLBACK_PASSWORD} here"}`;
    expect(findSecrets({ planted }, { 'callback password': CALLBACK_PASSWORD })).toEqual([
      'callback password in planted',
    ]);
    expect(findSecrets({ clean: '{"note":"nothing"}' }, { 'callback password': CALLBACK_PASSWORD })).toEqual([]);
  });

  it('appear in no workflow history, memo, search attribute or process log of a finished job', async () => {
    const taskQueue = uniqueTaskQueue('secrets');
    const temporalEnv = {
      TEMPORAL_ADDRESS: process.env.TEMPORAL_TEST_ADDRESS,
      TEMPORAL_NAMESPACE: process.env.TEMPORAL_TEST_NAMESPACE,
    };
    const webhookPort = await freePort();
    const webhook = startProcess('webhook', 'src/webhook/main.ts', {
      ...temporalEnv,
      WEBHOOK_HOST: '127.0.0.1',
      WEBHOOK_PORT: String(webhookPort),
      WEBHOOK_LOG_LEVEL: 'debug',
      CALLBACK_USERNAME: CALLBACK_USER,
      CALLBACK_PASSWORD,
    });
    processes.push(webhook);
    const worker = startProcess('worker', 'src/worker.ts', {
      ...temporalEnv,
      WORKFLOW_BUNDLE: process.env.TEMPORAL_TEST_WORKFLOW_BUNDLE,
      TASK_QUEUE: taskQueue,
      ACTIVATE_REQUESTS_PER_MINUTE: '600',
      THINGSPACE_BASE_URL: `${api.url}/api`,
      THINGSPACE_APP_KEY: DEFAULT_APP.appKey,
      THINGSPACE_APP_SECRET: DEFAULT_APP.appSecret,
      THINGSPACE_USERNAME: DEFAULT_USER.username,
      THINGSPACE_PASSWORD: DEFAULT_USER.password,
      THINGSPACE_ACCOUNT_NAME: DEFAULT_ACCOUNT,
    });
    processes.push(worker);
    await webhook.waitFor(/webhook ready/);
    await worker.waitFor(/Worker polling/);

    callbacks = await startRecordingProxy(`http://127.0.0.1:${webhookPort}`, giveDevicesTheirOwnPassword);
    await registerCallbacks(fixture.thingspace, {
      url: callbacks.url,
      credentials: { username: CALLBACK_USER, password: CALLBACK_PASSWORD },
      accountName: DEFAULT_ACCOUNT,
    });

    const jobId = `secrets-${Date.now()}`;
    const activation = new ActivationClient(temporal.client, taskQueue);
    const { handle } = await activation.startJob(
      jobRequest(jobId, seeds, {
        maxDevicesPerRequest: 8,
        callbackTimeout: '30 seconds',
        pollInterval: '1 second',
        pollDeadline: '1 minute',
      }),
    );
    const result = await handle.result();
    await fixture.sim.admin.settled();
    expect(result.counts).toMatchObject({ total: seeds.length, activated: seeds.length - 1, failed: 1 });

    const tokens = api.responses.flatMap((r) => {
      const body = r as { access_token?: string; sessionToken?: string };
      return [body.access_token, body.sessionToken].filter((t): t is string => typeof t === 'string');
    });
    expect(tokens.length).toBeGreaterThanOrEqual(2);
    expect(devicePasswords.size).toBe(seeds.length - 1);
    const secrets: Record<string, string> = {
      THINGSPACE_APP_SECRET: DEFAULT_APP.appSecret,
      THINGSPACE_PASSWORD: DEFAULT_USER.password,
      'callback password': CALLBACK_PASSWORD,
      ...Object.fromEntries(tokens.map((token, i) => [`token #${i}`, token])),
      ...Object.fromEntries([...devicePasswords.values()].map((pw, i) => [`device credential #${i}`, pw])),
    };

    // The login guard the worker process took its permits from is searched too.
    const workflowIds = [
      jobId,
      ...result.requests.map((r) => r.workflowId),
      loginGuardWorkflowId(DEFAULT_USER.username),
    ];
    const dump = await dumpWorkflows(temporal.client, workflowIds);
    // Processes flush their last lines when they stop.
    await webhook.kill('SIGTERM');
    await worker.kill('SIGTERM');
    const haystacks = {
      histories: dump.text,
      'worker log': worker.output.join('\n'),
      'webhook log': webhook.output.join('\n'),
    };
    // The dump holds what it should (decoded payloads: device ids, the job's settings), so a miss means absence.
    expect(dump.runs).toBeGreaterThanOrEqual(workflowIds.length);
    expect(dump.text).toContain(seeds[0]!.deviceIds[0]!.id);
    expect(dump.text).toContain('4G-IoT-1GB');
    expect(haystacks['webhook log']).toMatch(/webhook ready/);
    expect(callbacks.responses.length).toBeGreaterThanOrEqual(seeds.length + 4);

    console.info(
      `secrets: searched ${dump.runs} runs (${dump.events} events, ${dump.text.length} chars) and ` +
        `${worker.output.length + webhook.output.length} log lines for ${Object.keys(secrets).length} secrets`,
    );
    expect(findSecrets(haystacks, secrets)).toEqual([]);
  }, 180_000);
});
