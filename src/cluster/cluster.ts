/**
 * The whole production topology on one machine, as separate processes: PostgreSQL, Temporal's frontend, history,
 * matching and worker services, our workers, our webhooks behind a load balancer, and the ThingSpace simulator.
 * Every port is free-picked, so a cluster runs beside a dev server or another cluster. `npm run cluster` (main.ts)
 * and `npm run test:cluster` both start it through startCluster().
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runLogged } from '../devserver/go-binaries.js';
import type { ConfigPatch, SimulatorSeed } from '../simulator/index.js';
import { simulatorThingSpaceEnv } from '../simulator/index.js';
import { READY, registerCallbacksArgs, simulatorProcess, webhookProcess, workerProcess } from './app-processes.js';
import { obtainTemporalServer, TEMPORAL_SERVER_VERSION } from './binaries.js';
import { startLoadBalancer, type LoadBalancer } from './load-balancer.js';
import { registerNamespace, waitForNamespace } from './namespace.js';
import { PortAllocator } from './ports.js';
import { POSTGRES_READY, postgresOsUser, preparePostgres, startPostgres } from './postgres.js';
import type { Supervised } from './supervised.js';
import { TEMPORAL_SERVICES, writeTemporalConfigs, type ServicePorts, type TemporalService } from './temporal-config.js';
import { setUpTemporalSchema } from './temporal-schema.js';
import { TEMPORAL_LISTENING, temporalServices } from './temporal-services.js';
import { bundleWorkflows } from '../temporal/workflow-bundle.js';

export interface ClusterOptions {
  /** Where logs go; kept after stop. */
  logDir: string;
  simulator: { seed: SimulatorSeed; config?: ConfigPatch };
  workers?: number;
  webhooks?: number;
  namespace?: string;
  taskQueue?: string;
  /** Extra settings for our workers (e.g. ACTIVATE_REQUESTS_PER_MINUTE). */
  workerEnv?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
}

export interface Cluster {
  address: string;
  namespace: string;
  taskQueue: string;
  /** The ThingSpace simulator's API base URL, and its admin API with the bearer token. */
  simulatorUrl: string;
  simulatorAdmin: { url: string; token: string };
  /** The load balancer in front of the webhooks, where ThingSpace sends callbacks. */
  webhookUrl: string;
  callbackCredentials: { username: string; password: string };
  postgres: Supervised;
  temporal: Record<TemporalService, Supervised>;
  workers: Supervised[];
  webhooks: Supervised[];
  simulator: Supervised;
  /** Process table for people: name, pid, address. */
  describe(): { name: string; pid: number | undefined; where: string }[];
  /** Starts a stopped or killed process again and waits for its ready line (Temporal: listening again). */
  restart(process: Supervised): Promise<void>;
  stop(): Promise<void>;
}

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const log = options.log ?? (() => {});
  const namespace = options.namespace ?? 'default';
  const taskQueue = options.taskQueue ?? 'thingspace-activation';
  const logDir = options.logDir;
  await mkdir(logDir, { recursive: true });

  const binaries = await obtainTemporalServer({ log });
  // Private state, removed on stop: world-traversable so that the PostgreSQL user reaches its own subdirectory.
  const dir = await mkdtemp(join(tmpdir(), 'thingspace-cluster-'));
  await chmod(dir, 0o711);
  const started: (Supervised | LoadBalancer)[] = [];
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    // Reverse start order: our processes drain into Temporal, Temporal into PostgreSQL.
    for (const part of started.reverse()) await part.close();
    await rm(dir, { recursive: true, force: true });
  };

  try {
    const allocate = new PortAllocator();
    const [pgPort, simPort, lbPort] = [await allocate.any(), await allocate.any(), await allocate.any()];
    const ports = {} as Record<TemporalService, ServicePorts>;
    for (const service of TEMPORAL_SERVICES) {
      ports[service] = { grpc: await allocate.any(), membership: await allocate.low(), metrics: await allocate.any() };
    }
    ports.frontend.http = await allocate.any();
    const webhookPorts: number[] = [];
    for (let i = 0; i < (options.webhooks ?? 2); i++) webhookPorts.push(await allocate.any());

    const pgPassword = randomBytes(18).toString('base64url');
    log(`Starting PostgreSQL on 127.0.0.1:${pgPort}${(await postgresOsUser()) ? ' as user postgres' : ''}`);
    const postgres = await preparePostgres({
      dir: join(dir, 'postgres'),
      port: pgPort,
      password: pgPassword,
      logFile: join(logDir, 'postgresql.log'),
    });
    started.push(postgres);
    await startPostgres(postgres);

    log(`Creating Temporal's databases (schema of ${TEMPORAL_SERVER_VERSION})`);
    await setUpTemporalSchema(binaries.sql, { pgPort, pgPassword, log: () => {} });

    const temporalRoot = join(dir, 'temporal');
    await mkdir(temporalRoot, { mode: 0o700 });
    const configDirs = await writeTemporalConfigs({
      template: binaries.configTemplate,
      root: temporalRoot,
      pgPort,
      pgPassword,
      ports,
    });
    const temporal = temporalServices({ server: binaries.server, root: temporalRoot, configDirs, logDir });
    log(`Starting Temporal ${TEMPORAL_SERVER_VERSION}: ${TEMPORAL_SERVICES.join(', ')}`);
    for (const service of TEMPORAL_SERVICES) {
      started.push(temporal[service]);
      temporal[service].start();
      // The first process writes the cluster metadata to a fresh database; started together, the others race it to
      // the same row and exit on the duplicate key.
      if (service === 'frontend') await temporal.frontend.waitFor(TEMPORAL_LISTENING, 120_000);
    }
    const address = `127.0.0.1:${ports.frontend.grpc}`;
    // Bundled once here rather than by each worker at each (re)start.
    const bundling = bundleWorkflows();
    log(`Registering namespace ${namespace} and the search attributes`);
    const anyServiceExits = Promise.race(TEMPORAL_SERVICES.map((service) => temporal[service].failOnExit()));
    anyServiceExits.catch(() => {});
    await Promise.race([
      (async () => {
        await registerNamespace({ address, namespace });
        await waitForNamespace(address, namespace);
      })(),
      anyServiceExits,
    ]);
    const bundlePath = join(dir, 'workflow-bundle.js');
    await writeFile(bundlePath, (await bundling).code);

    log('Starting the ThingSpace simulator');
    const adminToken = randomBytes(18).toString('base64url');
    const seedFile = join(dir, 'simulator-seed.json');
    const configFile = join(dir, 'simulator-config.json');
    await writeFile(seedFile, JSON.stringify(options.simulator.seed), { mode: 0o600 });
    await writeFile(configFile, JSON.stringify(options.simulator.config ?? {}), { mode: 0o600 });
    const simulator = simulatorProcess({ port: simPort, seedFile, configFile, adminToken }, logDir);
    started.push(simulator);
    simulator.start();
    await simulator.waitFor(READY.simulator);
    const simulatorUrl = `http://127.0.0.1:${simPort}/api`;

    const temporalEnv = { TEMPORAL_ADDRESS: address, TEMPORAL_NAMESPACE: namespace };
    const thingspaceEnv = simulatorThingSpaceEnv(simulatorUrl);
    const callbackCredentials = { username: 'cluster', password: randomBytes(18).toString('base64url') };
    const callbackEnv = {
      CALLBACK_USERNAME: callbackCredentials.username,
      CALLBACK_PASSWORD: callbackCredentials.password,
    };

    log(`Starting ${webhookPorts.length} webhooks behind a load balancer on 127.0.0.1:${lbPort}`);
    const webhooks = webhookPorts.map((port, i) =>
      webhookProcess(i + 1, port, { ...temporalEnv, ...callbackEnv }, logDir),
    );
    for (const webhook of webhooks) {
      started.push(webhook);
      webhook.start();
    }
    const balancer = await startLoadBalancer('127.0.0.1', lbPort, webhookPorts);
    started.push(balancer);
    const webhookUrl = `http://127.0.0.1:${lbPort}`;

    const workerCount = options.workers ?? 2;
    log(`Starting ${workerCount} workers on task queue ${taskQueue}`);
    const workers = Array.from({ length: workerCount }, (_, i) =>
      workerProcess(
        i + 1,
        { ...temporalEnv, ...thingspaceEnv, TASK_QUEUE: taskQueue, WORKFLOW_BUNDLE: bundlePath, ...options.workerEnv },
        logDir,
      ),
    );
    for (const worker of workers) {
      started.push(worker);
      worker.start();
    }
    await Promise.all([
      ...webhooks.map((w) => w.waitFor(READY.webhook)),
      ...workers.map((w) => w.waitFor(READY.worker, 120_000)),
    ]);

    log('Registering the webhooks for CarrierService and NiddService callbacks');
    await runLogged(
      process.execPath,
      registerCallbacksArgs(webhookUrl),
      { ...process.env, ...thingspaceEnv, ...callbackEnv },
      () => {},
    );

    const readyPattern = (p: Supervised): RegExp => {
      if (p === postgres) return POSTGRES_READY;
      if (workers.includes(p)) return READY.worker;
      if (webhooks.includes(p)) return READY.webhook;
      if (p === simulator) return READY.simulator;
      return TEMPORAL_LISTENING;
    };
    return {
      address,
      namespace,
      taskQueue,
      simulatorUrl,
      simulatorAdmin: { url: `http://127.0.0.1:${simPort}/admin`, token: adminToken },
      webhookUrl,
      callbackCredentials,
      postgres,
      temporal,
      workers,
      webhooks,
      simulator,
      describe: () => [
        { name: 'postgresql', pid: postgres.pid, where: `127.0.0.1:${pgPort} (data in ${join(dir, 'postgres')})` },
        ...TEMPORAL_SERVICES.map((service) => ({
          name: temporal[service].name,
          pid: temporal[service].pid,
          where:
            `gRPC 127.0.0.1:${ports[service].grpc}, membership ${ports[service].membership}, ` +
            `metrics http://127.0.0.1:${ports[service].metrics}/metrics` +
            (service === 'frontend' ? `, HTTP API ${ports.frontend.http}` : ''),
        })),
        { name: 'simulator', pid: simulator.pid, where: `${simulatorUrl} (admin API /admin)` },
        { name: 'load balancer', pid: process.pid, where: `${webhookUrl} → webhooks (registered for callbacks)` },
        ...webhooks.map((w, i) => ({ name: w.name, pid: w.pid, where: `http://127.0.0.1:${webhookPorts[i]}` })),
        ...workers.map((w) => ({ name: w.name, pid: w.pid, where: `task queue ${taskQueue}` })),
      ],
      async restart(p) {
        p.start();
        await p.waitFor(readyPattern(p), 120_000);
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
