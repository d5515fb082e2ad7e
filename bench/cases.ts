/** The two kinds of case: a job through the product's processes, and the bare baseline script. */
import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError } from '@temporalio/client';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ActivationClient } from '../src/client.js';
import { registerCallbacks } from '../src/cli/register-callbacks.js';
import type { BaselineResult } from './baseline.js';
import { measureHistories, phaseSeconds, sampleCallbacks, type CallbackRate, type HistoryFigures } from './measure.js';
import { machineCpuSeconds, startChild, type Child } from './processes.js';
import { startRoundRobinProxy, type Proxy } from './proxy.js';
import type { DeviceId } from '../src/thingspace/schemas/device-key.js';
import { accountDevicesWorkflowId } from '../src/workflows/account-devices.js';
import { DATA_DIR, type Account, type Stack } from './stack.js';
import type { WorkflowCacheFigures } from './worker-metrics.js';

export interface TemporalCaseFigures {
  kind: 'temporal';
  devices: number;
  activated: number;
  wallSeconds: number;
  phases: Record<string, number>;
  callbacks: CallbackRate;
  histories: HistoryFigures;
  signals: number;
  workerPeakRss: (number | undefined)[];
  webhookPeakRss: (number | undefined)[];
  /** The workers' largest resident set in each job phase (sampled every 100 ms): where memory grows. */
  workerRssByPhase: Record<string, number>;
  /** From start to result on the monotonic clock (µs), to cut profiles down to the case itself. */
  windowUs: { fromUs: number; toUs: number };
  /** `devices/actions/list` calls the simulator served for the case's account while the case ran. */
  listCalls: number;
  /** The simulator's largest resident set while the case ran (sampled every 100 ms), beside the workers'. */
  simulatorPeakRss: number;
  /**
   * CPU seconds used from the job's start to its result: per process kind (several workers or webhooks summed),
   * `rest` the machine's other busy time (Temporal server, the bench itself), `steal` what other tenants took.
   */
  cpu: { worker: number; webhook: number; simulator: number; rest: number; steal: number };
  /** The workers' workflow caches over the case, summed: each miss replayed a run from its history. */
  workflowCache: WorkflowCacheFigures;
  /** Reading the whole report through ActivationClient.report once the job ended (not in the wall time). */
  report: { devices: number; seconds: number; workerCpuSeconds: number; workerPeakRss: number };
}

/**
 * A case whose job was refused at the start (e.g. over a job size cap) or gave no result in time: the reason, and
 * what was measured until then, are the result.
 */
export interface RefusedCaseFigures {
  kind: 'refused';
  devices: number;
  reason: string;
}

export type CaseFigures = TemporalCaseFigures | RefusedCaseFigures;

export interface BaselineFigures extends BaselineResult {
  kind: 'baseline';
}

export interface TemporalCase {
  name: string;
  /** The account the job runs on and the devices it names (not necessarily all of the account's). */
  account: Pick<Account, 'name'> & { devices: readonly { deviceIds: DeviceId[] }[] };
  /** How long a request waits for callbacks before polling (5 minutes unless set). */
  callbackTimeout?: string;
  workers: number;
  webhooks: number;
  /** Runs the worker and webhook processes under --cpu-prof, with a folder per process in here. */
  profileDir?: string;
  timeoutMs: number;
}

/**
 * Fresh processes per case, so each peak RSS belongs to that case alone. A job refused at the start comes back as
 * RefusedCaseFigures, so one case over today's limits does not lose the others' figures.
 */
export async function runTemporalCase(stack: Stack, spec: TemporalCase): Promise<CaseFigures> {
  const taskQueue = `bench-${spec.name}-${randomUUID().slice(0, 8)}`;
  const profiling = async (name: string) => {
    if (!spec.profileDir) return undefined;
    const dir = join(spec.profileDir, name);
    await mkdir(dir, { recursive: true });
    return dir;
  };
  const workers: Child[] = [];
  const caches: (() => Promise<WorkflowCacheFigures>)[] = [];
  const webhooks: Child[] = [];
  let proxy: Proxy | undefined;
  try {
    for (let i = 1; i <= spec.workers; i++) {
      const worker = await stack.startWorker(`${spec.name}-worker-${i}`, taskQueue, await profiling(`worker-${i}`));
      workers.push(worker.child);
      caches.push(worker.workflowCache);
    }
    const ports: number[] = [];
    for (let i = 1; i <= spec.webhooks; i++) {
      const { child, port } = await stack.startWebhook(
        `${spec.name}-webhook-${i}`,
        taskQueue,
        await profiling(`webhook-${i}`),
      );
      webhooks.push(child);
      ports.push(port);
    }
    if (ports.length > 1) proxy = await startRoundRobinProxy(ports);
    const thingspace = stack.thingspace(spec.account.name);
    await registerCallbacks(thingspace, {
      url: `http://127.0.0.1:${proxy?.port ?? ports[0]}`,
      credentials: stack.credentials,
      accountName: spec.account.name,
    });
    await thingspace.logout();

    const activation = new ActivationClient(stack.client, taskQueue);
    const jobId = `bench-${spec.name}-${Date.now()}`;
    const listCallsBefore = (await stack.listCalls())[spec.account.name] ?? 0;
    const sampler = await sampleCallbacks(() => stack.callbackStats());
    const rss: { at: number; bytes: number }[] = [];
    let simulatorPeakRss = stack.simulator.rssBytes() ?? 0;
    const rssTimer = setInterval(() => {
      const bytes = Math.max(...workers.map((w) => w.rssBytes() ?? 0));
      rss.push({ at: Date.now(), bytes });
      simulatorPeakRss = Math.max(simulatorPeakRss, stack.simulator.rssBytes() ?? 0);
    }, 100);
    const cpuAt = () => {
      const sum = (children: Child[]) => children.reduce((total, c) => total + (c.cpuSeconds() ?? 0), 0);
      return {
        worker: sum(workers),
        webhook: sum(webhooks),
        simulator: sum([stack.simulator]),
        ...machineCpuSeconds(),
      };
    };
    const cpuBefore = cpuAt();
    const started = performance.now();
    const fromUs = Number(process.hrtime.bigint() / 1000n);
    let handle: Awaited<ReturnType<ActivationClient['startJob']>>['handle'];
    try {
      ({ handle } = await activation.startJob({
        jobId,
        accountName: spec.account.name,
        activation: { servicePlan: '4G-IoT-1GB', mdnZipCode: '98801' },
        devices: spec.account.devices.map((d) => ({ deviceIds: d.deviceIds })),
        // A lost callback would otherwise hold the case for the 12-hour default; polling settles it within seconds.
        options: {
          maxDevicesPerRequest: 10_000,
          callbackTimeout: spec.callbackTimeout ?? '5 minutes',
          pollInterval: '5 seconds',
        },
      }));
    } catch (err) {
      clearInterval(rssTimer);
      await sampler.stop();
      const reason = err instanceof Error ? err.message : String(err);
      return { kind: 'refused', devices: spec.account.devices.length, reason: reason.slice(0, 300) };
    }
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      handle.result(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`${spec.name}: no result within ${spec.timeoutMs} ms`)),
          spec.timeoutMs,
        );
      }),
    ])
      .catch((err: unknown) => err as Error)
      .finally(() => clearTimeout(timer));
    if (outcome instanceof Error) {
      // Out of time (or failed): the figures so far say where it stood, and the other cases still run.
      clearInterval(rssTimer);
      await sampler.stop();
      const listCalls = ((await stack.listCalls())[spec.account.name] ?? 0) - listCallsBefore;
      const reason =
        `${outcome.message.slice(0, 200)}; until then: ${listCalls} list calls, worker peak RSS ` +
        `${workers.map((w) => Math.round((w.peakRssBytes() ?? NaN) / 1024 / 1024)).join(' + ')} MB, simulator ` +
        `${Math.round(simulatorPeakRss / 1024 / 1024)} MB`;
      await handle.terminate('bench: no result in time').catch(() => undefined);
      return { kind: 'refused', devices: spec.account.devices.length, reason };
    }
    const result = outcome;
    const wallSeconds = (performance.now() - started) / 1000;
    const cpuAfter = cpuAt();
    const used = (key: keyof typeof cpuAfter) => cpuAfter[key] - cpuBefore[key];
    const cpu = {
      worker: used('worker'),
      webhook: used('webhook'),
      simulator: used('simulator'),
      rest: used('busy') - used('worker') - used('webhook') - used('simulator'),
      steal: used('steal'),
    };
    const windowUs = { fromUs, toUs: Number(process.hrtime.bigint() / 1000n) };
    clearInterval(rssTimer);
    const callbacks = await sampler.stop();
    const listCalls = ((await stack.listCalls())[spec.account.name] ?? 0) - listCallsBefore;
    const workerPeakRss = workers.map((w) => w.peakRssBytes());
    const webhookPeakRss = webhooks.map((w) => w.peakRssBytes());
    const workflowCache = sumCaches(await Promise.all(caches.map((read) => read())));
    // After the result, outside the wall time: what reading every device's outcome costs.
    const reportStarted = performance.now();
    const reportCpuBefore = cpuAt().worker;
    let reported = 0;
    for await (const page of activation.report(jobId)) reported += page.length;
    const report = {
      devices: reported,
      seconds: (performance.now() - reportStarted) / 1000,
      workerCpuSeconds: cpuAt().worker - reportCpuBefore,
      workerPeakRss: Math.max(...workers.map((w) => w.peakRssBytes() ?? 0)),
    };
    const histories = await measureHistories(stack.client, taskQueue, jobId);
    const workerRssByPhase: Record<string, number> = {};
    for (const { at, bytes } of rss) {
      // Server event times and this clock are the same machine's wall clock.
      const phase = histories.phases.findLast((p) => p.at <= at)?.phase ?? 'starting';
      workerRssByPhase[phase] = Math.max(workerRssByPhase[phase] ?? 0, bytes);
    }
    return {
      kind: 'temporal',
      devices: spec.account.devices.length,
      activated: result.counts.activated,
      wallSeconds,
      phases: phaseSeconds(histories),
      callbacks,
      histories,
      signals: histories.runs.reduce((sum, run) => sum + run.signals, 0),
      workerPeakRss,
      webhookPeakRss,
      workerRssByPhase,
      windowUs,
      listCalls,
      simulatorPeakRss,
      cpu,
      workflowCache,
      report,
    };
  } finally {
    await proxy?.close();
    for (const child of [...webhooks, ...workers]) await child.stop();
    await endCoordinator(stack, spec.account.name, taskQueue);
  }
}

function sumCaches(all: WorkflowCacheFigures[]): WorkflowCacheFigures {
  return all.reduce(
    (sum, c) => ({
      hits: sum.hits + c.hits,
      misses: sum.misses + c.misses,
      forcedEvictions: sum.forcedEvictions + c.forcedEvictions,
    }),
    { hits: 0, misses: 0, forcedEvictions: 0 },
  );
}

/**
 * Each case's worker runs claims coordinators of its own (COORDINATOR_ID_SUFFIX = its task queue, see stack.ts): a
 * coordinator runs on the task queue of the worker that started it, which no worker polls once the case is over.
 * Ended here so that no workflow is left waiting on a dead queue; between cases no job holds a claim.
 */
async function endCoordinator(stack: Stack, accountName: string, taskQueue: string): Promise<void> {
  try {
    await stack.client.workflow
      .getHandle(accountDevicesWorkflowId(accountName, taskQueue))
      .terminate('bench: case over; the next case on this account starts a coordinator on its own task queue');
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
}

export async function runBaseline(stack: Stack, account: Account): Promise<BaselineFigures> {
  const child = await startChild(
    'baseline',
    'bench/baseline.ts',
    {
      ...stack.thingspaceEnv,
      ...stack.callbackEnv,
      BASELINE_ACCOUNT: account.name,
      BASELINE_SEED_FILE: stack.seedFile,
    },
    /^result /,
    { log: createWriteStream(join(DATA_DIR, 'logs', 'baseline.log')) },
  );
  const line = child.output.find((l) => l.startsWith('result ')) as string;
  await child.stop();
  return { kind: 'baseline', ...(JSON.parse(line.slice('result '.length)) as BaselineResult) };
}
