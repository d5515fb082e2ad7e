/**
 * `thingspace-activation register-callbacks` against the simulator: in process for what it registers (proved by
 * the simulator's callbacks passing the webhook's credential check), and as a real process for exit codes and
 * output.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { runCli } from '../../src/cli/program.js';
import { callbackUrl } from '../../src/cli/register-callbacks.js';
import type { SignalTarget } from '../../src/webhook/index.js';
import { DEFAULT_APP, DEFAULT_USER } from '../../src/simulator/index.js';
import { seedDevice, startActivationFixture, type ActivationFixture } from '../harness/activation.js';
import { LISTENER, startWebhook, type RunningWebhook } from './fixtures.js';
import { ACCOUNT } from './temporal-helpers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

let fixture: ActivationFixture;
let hook: RunningWebhook;
const signalled: string[] = [];
const target: SignalTarget = {
  async send(requestId, records) {
    signalled.push(...records.map(() => requestId));
    return 'signalled';
  },
  async ready() {},
};

beforeAll(async () => {
  fixture = await startActivationFixture([seedDevice(1), seedDevice(2, { type: 'NB-IoT' })]);
  hook = await startWebhook({ target }, { batchWindowMs: 5 });
});
afterAll(async () => {
  await hook.close();
  await fixture.close();
});

const thingspaceEnv = () => ({
  THINGSPACE_BASE_URL: fixture.sim.url,
  THINGSPACE_APP_KEY: DEFAULT_APP.appKey,
  THINGSPACE_APP_SECRET: DEFAULT_APP.appSecret,
  THINGSPACE_USERNAME: DEFAULT_USER.username,
  THINGSPACE_PASSWORD: DEFAULT_USER.password,
  THINGSPACE_ACCOUNT_NAME: ACCOUNT,
});

async function cliInProcess(args: string[], env: Record<string, string | undefined>) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { env, out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

function cliProcess(args: string[], env: Record<string, string>) {
  return new Promise<{ code: number; out: string; err: string }>((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/starter.ts', ...args],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env } },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, out: stdout, err: stderr }),
    );
  });
}

describe('register-callbacks', () => {
  it('builds each service’s URL from the webhook’s base URL', () => {
    expect(callbackUrl('https://hooks.example.com:9001', 'CarrierService')).toBe(
      'https://hooks.example.com:9001/callbacks/carrier-service',
    );
    expect(callbackUrl('https://hooks.example.com:9001/thingspace/callbacks/', 'NiddService')).toBe(
      'https://hooks.example.com:9001/thingspace/callbacks/nidd-service',
    );
    expect(callbackUrl('https://h.example.com/cb', 'NiddService', true)).toBe('https://h.example.com/cb');
  });

  it('registers the URLs and the CALLBACK_* credentials the webhook checks, so callbacks get through', async () => {
    const env = { ...thingspaceEnv(), CALLBACK_USERNAME: LISTENER.username, CALLBACK_PASSWORD: LISTENER.password };
    const result = await cliInProcess(['register-callbacks', '--url', hook.url], env);
    expect(result.code).toBe(0);
    expect(result.out).toBe(
      [
        `registered CarrierService -> ${hook.url}/callbacks/carrier-service (account ${ACCOUNT})`,
        `registered NiddService -> ${hook.url}/callbacks/nidd-service (account ${ACCOUNT})`,
      ].join('\n'),
    );
    // A local URL is neither https nor on a port ThingSpace reaches: said, but not refused.
    expect(result.err).toMatch(/warning: port \d+ is not one ThingSpace can reach/);
    expect(result.err).toMatch(/warning: the URL is not https/);

    const { requestId } = await fixture.thingspace.activate({
      devices: [seedDevice(1), seedDevice(2)].map((d) => ({ deviceIds: d.deviceIds })),
      servicePlan: '4G-IoT-1GB',
      mdnZipCode: '98801',
    });
    await fixture.sim.admin.settled();
    // Two CarrierService callbacks plus the NB-IoT device's NiddService one, all past the credential check.
    expect(signalled).toEqual([requestId, requestId, requestId]);
    expect(fixture.sim.admin.callbackStats()).toMatchObject({ acknowledged: 3, failedSends: 0 });
  });

  it('lists and removes registrations as a real process, printing no secret', async () => {
    const env = thingspaceEnv();
    const listed = await cliProcess(['register-callbacks', '--list'], env);
    expect(listed).toMatchObject({ code: 0, err: '' });
    expect(listed.out).toContain(`CarrierService\t${hook.url}/callbacks/carrier-service`);
    expect(listed.out).toContain(`NiddService\t${hook.url}/callbacks/nidd-service`);

    const removed = await cliProcess(['register-callbacks', '--remove', '--service', 'NiddService'], env);
    expect(removed).toMatchObject({ code: 0, out: `removed NiddService listener (account ${ACCOUNT})\n` });
    const after = await cliProcess(['register-callbacks', '--list'], env);
    expect(after.out).not.toContain('NiddService');

    for (const output of [listed, removed, after]) {
      for (const secret of [DEFAULT_APP.appSecret, DEFAULT_USER.password, LISTENER.password]) {
        expect(output.out + output.err).not.toContain(secret);
      }
    }
  });

  it('fails with a clear message and a non-zero exit code', async () => {
    const noCredentials = await cliProcess(['register-callbacks', '--url', 'https://h.example.com:9001'], {
      ...thingspaceEnv(),
    });
    expect(noCredentials).toMatchObject({ code: 1, out: '' });
    expect(noCredentials.err).toMatch(/^error: invalid callback credentials: CALLBACK_USERNAME: is required/);

    const wrongSecret = await cliInProcess(['register-callbacks', '--list'], {
      ...thingspaceEnv(),
      THINGSPACE_APP_SECRET: 'not-the-secret',
    });
    expect(wrongSecret.code).toBe(1);
    expect(wrongSecret.err).toMatch(/^error: /);
    expect(wrongSecret.err).not.toContain('not-the-secret');

    const usage = await cliInProcess(['register-callbacks', '--list', '--remove'], thingspaceEnv());
    expect(usage).toMatchObject({ code: 1, err: 'error: give exactly one of --url <url>, --list or --remove' });
    expect((await cliInProcess(['register-callbacks', '--service', 'Other', '--list'], {})).code).not.toBe(0);
  });
});
