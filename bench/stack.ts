/**
 * What every case of `npm run bench` shares: one Temporal dev server, one prebuilt workflow bundle and one simulator
 * process holding every case's devices, each case on an account of its own (so each lists only its devices and has
 * its own activate rate limit), plus starters for the worker and webhook processes a case runs against.
 */
import { workerProcessEnv } from '../src/worker-heap.js';
import { readWorkflowCache, type WorkflowCacheFigures } from './worker-metrics.js';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { freePort, startDevServer, type DevServer } from '../src/devserver/dev-server.js';
import type { ConfigPatch, DeviceBlockSeed, SeedDevice, SimulatorSeed } from '../src/simulator/index.js';
import {
  blockDeviceIds,
  DEFAULT_APP,
  DEFAULT_USER,
  generateSeed,
  simulatorThingSpaceEnv,
} from '../src/simulator/index.js';
import type { DeviceId } from '../src/thingspace/schemas/device-key.js';
import { dataConverterFromEnv } from '../src/temporal/data-converter.js';
import { ThingSpaceClient } from '../src/thingspace/client.js';
import { bundleWorkflows } from '../src/temporal/workflow-bundle.js';
import { startChild, type Child } from './processes.js';

export const DATA_DIR = fileURLToPath(new URL('../.data/bench/', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const execFileAsync = promisify(execFile);

/** As fast as the simulator can go: the figures are about our processes, not ThingSpace's pace. */
const SIMULATOR_CONFIG: ConfigPatch = {
  // Not 0: a real callback never beats the activate response, and the webhook would spend the race retrying.
  activationDelayMs: 100,
  callbackDelayMs: 0,
  callbackConcurrency: 256,
  // ThingSpace's own limits stay: 10,000 devices a request, 100 activate requests a minute per account.
  logLevel: 'warn',
};

export interface Account {
  name: string;
  devices: SeedDevice[];
}

/**
 * An account of generated devices kept by the simulator as one block (src/simulator/device-block.ts): a seed of
 * two million devices listed one by one would be about 400 MB of JSON and several GB of simulator memory.
 */
export interface BlockAccount {
  name: string;
  count: number;
  prefix: string;
  /** The identifiers of devices [from, from + count), as a job names them. */
  devices(from: number, count: number): { deviceIds: DeviceId[] }[];
}

/** The simulator's limits the ThingSpace floor is computed from (read back from it, not assumed). */
export interface ApiLimits {
  maxDevicesPerActivate: number;
  activateRateLimit: { max: number; windowMs: number };
}

export interface Stack {
  devServer: DevServer;
  client: Client;
  simulatorUrl: string;
  /** THINGSPACE_* for the worker and the baseline, as a deployment would set them. */
  thingspaceEnv: Record<string, string>;
  temporalEnv: Record<string, string>;
  callbackEnv: Record<string, string>;
  credentials: { username: string; password: string };
  seedFile: string;
  accounts: Account[];
  blockAccounts: BlockAccount[];
  /** The simulator process: its resident set is reported beside the workers'. */
  simulator: Child;
  apiLimits(): Promise<ApiLimits>;
  /** `devices/actions/list` calls the simulator has served, per account listed. */
  listCalls(): Promise<Record<string, number>>;
  thingspace(accountName: string): ThingSpaceClient;
  /** Changes the simulator's settings (outcome rates …) over its admin API, for every account. */
  configure(patch: ConfigPatch): Promise<void>;
  /** The simulator's delivery counters (acknowledged callbacks …), read over its admin API. */
  callbackStats(): Promise<{ acknowledged: number; failedSends: number; exhausted: number }>;
  /** The worker process, and a reader of its workflow cache counters (its Prometheus endpoint). */
  startWorker(
    name: string,
    taskQueue: string,
    cpuProfDir?: string,
  ): Promise<{ child: Child; workflowCache(): Promise<WorkflowCacheFigures> }>;
  /** `taskQueue`: where it starts the inbox of callbacks that come before their request workflow (its worker's). */
  startWebhook(name: string, taskQueue: string, cpuProfDir?: string): Promise<{ child: Child; port: number }>;
  stop(): Promise<void>;
}

/**
 * Ready 4G devices (one callback each) on accounts of the given sizes, identifiers distinct across them, then one
 * account per block size held as a block.
 */
function buildSeed(
  sizes: number[],
  blockSizes: number[],
): { seed: SimulatorSeed; accounts: Account[]; blockAccounts: BlockAccount[] } {
  const accounts = sizes.map((count, i) => {
    const name = `0868924207-${String(i + 1).padStart(5, '0')}`;
    const { devices } = generateSeed({
      count,
      accounts: [name],
      nbIotShare: 0,
      notInAccountShare: 0,
      stateWeights: { 'pre-active': 1, preactive: 0, active: 0, deactive: 0, suspend: 0 },
      seed: 1000 + i,
    });
    return { name, devices };
  });
  const ids = new Set(accounts.flatMap((a) => a.devices.map((d) => d.deviceIds[0]!.id)));
  if (ids.size !== sizes.reduce((a, b) => a + b, 0)) throw new Error('generated device identifiers collide');
  // An IMEI is 35 + the 5-digit prefix + serial: a block prefix no generated account uses keeps them apart.
  const used = new Set(accounts.flatMap((a) => a.devices.slice(0, 1).map((d) => d.deviceIds[0]!.id.slice(2, 7))));
  let nextPrefix = 99_999;
  const blocks: DeviceBlockSeed[] = [];
  const blockAccounts = blockSizes.map((count, i): BlockAccount => {
    while (used.has(String(nextPrefix))) nextPrefix--;
    const prefix = String(nextPrefix--);
    const name = `0868924207-${String(90_001 + i)}`;
    blocks.push({ accountName: name, count, prefix, state: 'pre-active' });
    return {
      name,
      count,
      prefix,
      devices: (from, n) => Array.from({ length: n }, (_, k) => ({ deviceIds: blockDeviceIds(prefix, from + k) })),
    };
  });
  const names = [...accounts.map((a) => a.name), ...blockAccounts.map((a) => a.name)];
  return {
    accounts,
    blockAccounts,
    seed: {
      apps: [DEFAULT_APP],
      users: [{ ...DEFAULT_USER, accountNames: names }],
      accounts: names,
      devices: accounts.flatMap((a) => a.devices),
      blocks,
    },
  };
}

export async function startStack(
  accountSizes: number[],
  blockAccountSizes: number[],
  say: (line: string) => void,
  /** Runs the simulator under --cpu-prof, its profile written here when the stack stops. */
  simulatorCpuProfDir?: string,
): Promise<Stack> {
  await mkdir(join(DATA_DIR, 'logs'), { recursive: true });
  // Device lists a big job stores (src/storage): a store of the bench's own, emptied per run, shared with every
  // worker and webhook it starts and with the client in this process.
  const storeDir = join(DATA_DIR, 'store');
  await rm(storeDir, { recursive: true, force: true });
  await mkdir(storeDir, { recursive: true });
  process.env.BLOB_STORE_URL = storeDir;
  const log = (name: string) => ({ log: createWriteStream(join(DATA_DIR, 'logs', `${name}.log`)) });
  const children: Child[] = [];
  const adminToken = randomBytes(12).toString('hex');
  const credentials = { username: 'bench', password: randomBytes(12).toString('hex') };

  say('starting the Temporal dev server, bundling the workflows and compiling the worker …');
  const [devServer, bundle] = await Promise.all([
    startDevServer({ log: () => {}, startTimeoutMs: 120_000 }),
    bundleWorkflows(),
    // The worker runs compiled, as deployed (Dockerfile: node lib/worker.js): through tsx it peaked about 60 MB
    // higher (case 6: 313 MB against 250 MB).
    execFileAsync('npm', ['run', 'build'], { cwd: ROOT }),
  ]);
  let connection: Connection | undefined;
  try {
    const bundleFile = join(DATA_DIR, 'workflow-bundle.js');
    await writeFile(bundleFile, bundle.code);

    const { seed, accounts, blockAccounts } = buildSeed(accountSizes, blockAccountSizes);
    const seedFile = join(DATA_DIR, 'seed.json');
    const configFile = join(DATA_DIR, 'simulator-config.json');
    await writeFile(seedFile, JSON.stringify(seed));
    await writeFile(configFile, JSON.stringify(SIMULATOR_CONFIG));
    const simPort = await freePort();
    const total = seed.devices.length + blockAccounts.reduce((sum, a) => sum + a.count, 0);
    say(`starting the simulator with ${total.toLocaleString('en-US')} devices …`);
    const simulatorStarted = performance.now();
    const simulator = await startChild(
      'simulator',
      'src/simulator/main.ts',
      {
        SIM_PORT: String(simPort),
        SIM_SEED_FILE: seedFile,
        SIM_CONFIG_FILE: configFile,
        SIM_ADMIN_TOKEN: adminToken,
        // The simulator keeps its own record of every activation (about 1.3 KB a device, bench/simulator-load.ts)
        // for the fault tests: a million-device case holds about 1.3 GB of it, and more in flight.
        // It is the bench's stand-in for ThingSpace, not the product; its RSS is reported on its own. 64 MB
        // semi-spaces (16 by default) promote fewer of the callbacks it holds queued: its CPU in the
        // million-device case fell from 157-172 s to 137-147 s (two runs each, issue 12 notes in RESULTS.md).
        // Without V8's memory reducer (a Node flag, below) it does not run extra full collections of its 2-3 GB
        // heap whenever it looks idle: 7 mark-compacts instead of 13 and 2.4 s of marking on its main thread
        // instead of 12.3 (--trace-gc, one million-device run each, RESULTS.md); its CPU in all moves more than
        // that from run to run.
        NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --max-old-space-size=8192 --max-semi-space-size=64`.trim(),
      },
      /simulator listening/,
      { ...log('simulator'), cpuProfDir: simulatorCpuProfDir, nodeArgs: ['--no-memory-reducer'] },
    );
    children.push(simulator);
    say(
      `   ready in ${((performance.now() - simulatorStarted) / 1000).toFixed(1)} s, ` +
        `${Math.round((simulator.rssBytes() ?? NaN) / 1024 / 1024)} MB resident`,
    );
    const admin = async <T>(path: string): Promise<T> => {
      const res = await fetch(`http://127.0.0.1:${simPort}/admin/${path}`, {
        headers: { authorization: `Bearer ${adminToken}` },
      });
      if (!res.ok) throw new Error(`simulator /admin/${path}: HTTP ${res.status}`);
      return (await res.json()) as T;
    };
    const simulatorUrl = `http://127.0.0.1:${simPort}/api`;
    const thingspaceEnv = simulatorThingSpaceEnv(simulatorUrl);
    const temporalEnv = {
      TEMPORAL_ADDRESS: devServer.address,
      TEMPORAL_NAMESPACE: devServer.namespace,
      BLOB_STORE_URL: storeDir,
    };
    const callbackEnv = { CALLBACK_USERNAME: credentials.username, CALLBACK_PASSWORD: credentials.password };
    // A history page of a big job's runs can pass gRPC's default 4 MB (one of 4.6 MB at 100,000 devices).
    connection = await Connection.connect({
      address: devServer.address,
      channelArgs: { 'grpc.max_receive_message_length': 256 * 1024 * 1024 },
    });
    // Built here, not at import: the client must name the bench's store (set above), which holds what the workers
    // put in it (large query answers among them).
    const client = new Client({ connection, namespace: devServer.namespace, dataConverter: dataConverterFromEnv() });
    const openConnection = connection;

    return {
      devServer,
      client,
      simulatorUrl,
      thingspaceEnv,
      temporalEnv,
      callbackEnv,
      credentials,
      seedFile,
      accounts,
      blockAccounts,
      simulator,
      apiLimits: () => admin<ApiLimits>('config'),
      listCalls: async () => (await admin<{ byAccount: Record<string, number> }>('list-calls')).byAccount,
      thingspace: (accountName) =>
        new ThingSpaceClient({ baseUrl: simulatorUrl, ...DEFAULT_APP, ...DEFAULT_USER, accountName }),
      async configure(patch) {
        const res = await fetch(`http://127.0.0.1:${simPort}/admin/config`, {
          method: 'PATCH',
          headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
          body: JSON.stringify(patch),
        });
        if (!res.ok) throw new Error(`simulator PATCH /admin/config: HTTP ${res.status} ${await res.text()}`);
      },
      callbackStats: () => admin<{ acknowledged: number; failedSends: number; exhausted: number }>('callbacks'),
      async startWorker(name, taskQueue, cpuProfDir) {
        const metricsPort = await freePort();
        const child = await startChild(
          name,
          'lib/worker.js',
          // Cases share accounts but not task queues: each gets its own claims coordinator (it runs on the task
          // queue of the worker that first started it, which a later case no longer polls).
          {
            ...temporalEnv,
            ...thingspaceEnv,
            TASK_QUEUE: taskQueue,
            WORKFLOW_BUNDLE: bundleFile,
            COORDINATOR_ID_SUFFIX: taskQueue,
            WORKER_METRICS_ADDRESS: `127.0.0.1:${metricsPort}`,
            ...workerProcessEnv(),
          },
          /Worker polling/,
          { ...log(name), cpuProfDir },
        );
        return { child, workflowCache: () => readWorkflowCache(metricsPort) };
      },
      async startWebhook(name, taskQueue, cpuProfDir) {
        const port = await freePort();
        const child = await startChild(
          name,
          'src/webhook/main.ts',
          {
            ...temporalEnv,
            ...callbackEnv,
            TASK_QUEUE: taskQueue,
            WEBHOOK_HOST: '127.0.0.1',
            WEBHOOK_PORT: String(port),
          },
          /webhook ready/,
          { ...log(name), cpuProfDir },
        );
        return { child, port };
      },
      async stop() {
        for (const child of children.reverse()) await child.stop();
        await openConnection.close();
        await devServer.stop();
      },
    };
  } catch (err) {
    for (const child of children.reverse()) await child.stop();
    await connection?.close();
    await devServer.stop();
    throw err;
  }
}
