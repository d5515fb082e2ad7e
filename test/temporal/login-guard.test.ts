/**
 * The deployment-wide login guard over the run's Temporal dev server and the simulator over HTTP: three
 * ThingSpaceClients ("workers") share the guard workflow of their username; the simulator's own failed-login count
 * is the judge. The operator's view and reset go through the CLI as a child process.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ActivationPhase } from '../../src/search-attributes.js';
import { DEFAULT_ACCOUNT, DEFAULT_APP, startSimulator, type RunningSimulator } from '../../src/simulator/index.js';
import { TemporalLoginGuard, loginGuardWorkflowId, readLoginGuard } from '../../src/temporal/login-guard.js';
import {
  LOGIN_BLOCKED_RETRY_MS,
  ThingSpaceClient,
  type ThingSpaceError,
  ThingSpaceLoginBlockedError,
  ThingSpaceRequestError,
  ThingSpaceServerError,
  ThingSpaceTimeoutError,
} from '../../src/thingspace/index.js';
import { acquireLoginUpdate } from '../../src/workflows/login-guard.js';
import { FAST_SIMULATOR } from '../harness/activation.js';
import { failure } from '../harness/failure.js';
import { connectTestClient, type TestTemporal, uniqueTaskQueue, withWorker } from '../harness/temporal.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const INVALID_CREDENTIALS = 'UnifiedWebService.AUTHENTICATION_FAILED.Login.InvalidCredentials';
const PASSWORD = 'correct-horse-7f3e';
const ROTATED = 'rotated-battery-91ad';

let sim: RunningSimulator;
let temporal: TestTemporal;
const taskQueue = uniqueTaskQueue('login-guard');

beforeAll(async () => {
  sim = await startSimulator({ config: FAST_SIMULATOR });
  temporal = await connectTestClient();
});
afterAll(async () => {
  await temporal?.close();
  await sim?.close();
});

/** A fresh ThingSpace user (so each test has its own guard workflow) whose password is PASSWORD. */
function newUser(): string {
  const username = `guard-${randomUUID().slice(0, 8)}`;
  sim.admin.addUser({ username, password: PASSWORD, accountNames: [DEFAULT_ACCOUNT] });
  return username;
}

function guardFor(username: string, extra: Partial<ConstructorParameters<typeof TemporalLoginGuard>[1]> = {}) {
  return new TemporalLoginGuard(temporal.client, { username, taskQueue, ...extra });
}

/** One "worker": its own ThingSpace client and its own guard client, sharing the username's guard workflow. */
function worker(username: string, password: string, timeouts: { authMs?: number } = {}): ThingSpaceClient {
  return new ThingSpaceClient(
    { baseUrl: sim.url, ...DEFAULT_APP, username, password, accountName: DEFAULT_ACCOUNT, timeouts },
    { loginGuard: guardFor(username) },
  );
}

function cli(args: string[], username: string) {
  const env = {
    PATH: process.env.PATH ?? '',
    TEMPORAL_ADDRESS: process.env.TEMPORAL_TEST_ADDRESS ?? '',
    TEMPORAL_NAMESPACE: process.env.TEMPORAL_TEST_NAMESPACE ?? '',
    THINGSPACE_USERNAME: username,
  };
  return new Promise<{ code: number; out: string; err: string }>((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/starter.ts', 'login-guard', ...args],
      { cwd: ROOT, env },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, out: stdout, err: stderr }),
    );
  });
}

async function webUiView(username: string) {
  const description = await temporal.client.workflow.getHandle(loginGuardWorkflowId(username)).describe();
  return { phase: description.typedSearchAttributes.get(ActivationPhase), memo: description.memo };
}

describe('the Temporal-held login guard', () => {
  it('three workers with a rotated password stop at the limit together; the CLI shows and resets the block', async () => {
    const username = newUser();
    const workers = [1, 2, 3].map(() => worker(username, ROTATED));
    await withWorker(taskQueue, async () => {
      const errors: ThingSpaceError[] = [];
      // Four rounds of every worker calling three times at once: 36 calls that each want a session.
      for (let round = 0; round < 4; round++) {
        errors.push(
          ...(await Promise.all(
            workers.flatMap((w) => [1, 2, 3].map(() => failure<ThingSpaceError>(w.listCallbacks()))),
          )),
        );
      }
      // The simulator's own count: the limit (2) and not one more, far from the lockout at 5.
      expect(sim.admin.lockout(username)).toEqual({ locked: false, failedLogins: 2 });
      const refused = errors.filter((e) => e instanceof ThingSpaceRequestError);
      expect(refused.length).toBeGreaterThan(0);
      expect(refused.every((e) => e.errorCode === INVALID_CREDENTIALS && !e.retryable)).toBe(true);
      const blocked = errors.filter((e) => e instanceof ThingSpaceLoginBlockedError);
      expect(blocked.length + refused.length).toBe(errors.length);
      // The block is retryable after a long pause: activities back off, jobs are not failed.
      expect(blocked.some((e) => e.retryable && e.retryAfterMs === LOGIN_BLOCKED_RETRY_MS)).toBe(true);
      expect(blocked.every((e) => e.retryable)).toBe(true);

      const shown = await cli(['--json'], username);
      expect(shown).toMatchObject({ code: 0, err: '' });
      expect(JSON.parse(shown.out)).toMatchObject({
        username,
        exists: true,
        failures: 2,
        limit: 2,
        outstanding: 0,
        blocked: true,
        lastRefusal: { errorCode: INVALID_CREDENTIALS },
      });
      expect(shown.out).not.toContain(ROTATED);
      expect(shown.out).not.toContain(PASSWORD);
      expect(await webUiView(username)).toMatchObject({
        phase: 'login-blocked',
        memo: { loginFailures: 2, loginLimit: 2, lastRefusalCode: INVALID_CREDENTIALS },
      });

      // The password is fixed (here: ThingSpace's side follows the rotation) but the block holds until a reset.
      sim.admin.addUser({ username, password: ROTATED, accountNames: [DEFAULT_ACCOUNT] });
      expect(await failure(workers[0]!.listCallbacks())).toBeInstanceOf(ThingSpaceLoginBlockedError);
      expect(sim.admin.lockout(username)).toEqual({ locked: false, failedLogins: 2 });

      const reset = await cli(['--reset'], username);
      expect(reset).toMatchObject({ code: 0, err: '' });
      expect(reset.out).toContain('Reset: 2 failed login(s) forgotten');
      expect(reset.out).toContain(`Login guard for ${username}: ok`);

      await Promise.all(workers.map((w) => w.listCallbacks()));
      expect(sim.admin.lockout(username)).toEqual({ locked: false, failedLogins: 0 });
      expect(await readLoginGuard(temporal.client, username)).toMatchObject({ failures: 0, blocked: false });
      expect(await webUiView(username)).toMatchObject({ phase: 'login-ok', memo: { loginFailures: 0 } });
    });
  });

  it('the CLI says so when no worker has logged in with a username yet', async () => {
    const none = await cli(['--reset'], `nobody-${randomUUID().slice(0, 8)}`);
    expect(none).toMatchObject({ code: 0, err: '' });
    expect(none.out).toMatch(
      /^No login guard for nobody-\w+ yet: no worker has logged in with it; nothing to reset\.$/m,
    );
  });

  it('5xx answers to the login do not count: the workers retry until the login goes through, never blocked', async () => {
    const username = newUser();
    const workers = [1, 2, 3].map(() => worker(username, PASSWORD));
    for (const status of [503, 500, 502]) sim.admin.scheduleFault({ kind: '5xx', route: 'login', count: 3, status });
    await withWorker(taskQueue, async () => {
      // What an activity's retry policy does, without the backoff: try again while the error is retryable.
      const attempts = await Promise.all(
        workers.map(async (w) => {
          for (let attempt = 1; ; attempt++) {
            try {
              await w.listCallbacks();
              return attempt;
            } catch (error) {
              expect(error).toBeInstanceOf(ThingSpaceServerError);
              expect((error as ThingSpaceError).retryable).toBe(true);
              if (attempt > 20) throw error;
            }
          }
        }),
      );
      expect(sim.admin.scheduledFaults()).toEqual([]); // all nine 5xx were answered to logins
      expect(attempts.reduce((a, b) => a + b)).toBe(9 + 3);
      expect(sim.admin.lockout(username)).toEqual({ locked: false, failedLogins: 0 });
      expect(await readLoginGuard(temporal.client, username)).toMatchObject({ failures: 0, blocked: false });
    });
  });

  it('login timeouts do not count either', async () => {
    const username = newUser();
    const workers = [1, 2, 3].map(() => worker(username, PASSWORD, { authMs: 100 }));
    await withWorker(taskQueue, async () => {
      await Promise.all(workers.map((w) => w.listCallbacks())); // bearers and sessions in hand
      sim.admin.expireTokens('sessions');
      sim.admin.setConfig({ faults: { latencyMs: 400 } });
      try {
        for (let round = 0; round < 2; round++) {
          for (const error of await Promise.all(workers.map((w) => failure<ThingSpaceError>(w.listCallbacks())))) {
            expect(error).toBeInstanceOf(ThingSpaceTimeoutError);
            expect(error).toMatchObject({ operation: 'session login', retryable: true });
          }
        }
        expect(await readLoginGuard(temporal.client, username)).toMatchObject({ failures: 0, blocked: false });
      } finally {
        sim.admin.setConfig({ faults: { latencyMs: 0 } });
      }
      await Promise.all(workers.map((w) => w.listCallbacks()));
      expect(sim.admin.lockout(username)).toEqual({ locked: false, failedLogins: 0 });
    });
  });

  it('a permit whose holder crashed is freed when its lease expires', async () => {
    const username = newUser();
    const guard = guardFor(username, { start: { leaseMs: 1 }, maxWaitMs: 0 });
    await withWorker(taskQueue, async () => {
      await guard.acquire({ limit: 1 }); // never settled: the worker "crashed"
      // The next ask is a later workflow task, past the 1 ms lease: granted, where a live lease would say busy.
      const permit = await guard.acquire({ limit: 1 });
      await permit.settle('success');
      expect(await guard.state()).toMatchObject({ failures: 0, outstanding: 0 });
    });
    const held = guardFor(newUser(), { maxWaitMs: 0 });
    await withWorker(taskQueue, async () => {
      await held.acquire({ limit: 1 });
      const busy = await failure<ThingSpaceError>(held.acquire({ limit: 1 }));
      expect(busy).toBeInstanceOf(ThingSpaceLoginBlockedError);
      expect(busy.message).toContain('1 other login(s) in flight');
    });
  });

  it('carries its state across continue-as-new and names the field a bad request breaks', async () => {
    const username = newUser();
    const guard = guardFor(username, { start: { historyLimit: 40 } });
    const handle = temporal.client.workflow.getHandle(loginGuardWorkflowId(username));
    await withWorker(taskQueue, async () => {
      await (await guard.acquire({ limit: 3 })).settle('refused', INVALID_CREDENTIALS);
      const firstRun = (await handle.describe()).runId;
      for (let i = 0; i < 10; i++) await (await guard.acquire({ limit: 3 })).settle('transient');
      expect((await handle.describe()).runId).not.toBe(firstRun);
      expect(await guard.state()).toMatchObject({
        failures: 1,
        limit: 3,
        outstanding: 0,
        lastRefusal: { errorCode: INVALID_CREDENTIALS },
      });
      const bad = await failure(handle.executeUpdate(acquireLoginUpdate, { args: [{ permitId: '', limit: 2 }] }));
      expect(bad).toBeInstanceOf(WorkflowUpdateFailedError);
      expect((bad as WorkflowUpdateFailedError).cause?.message).toContain('permitId must be a non-empty string');
    });
  });
});
