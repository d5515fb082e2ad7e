/**
 * `npm run demo`: the whole product on one machine, with nothing installed beforehand but Node.js (and Go, the
 * first time, to build the Temporal CLI). Starts the Temporal dev server (Web UI on 8233), the ThingSpace
 * simulator, the webhook and a worker; registers the callbacks; activates about 1,000 generated devices with mixed
 * outcomes (some callbacks dropped, so the polling fallback shows) with the CLI's progress bar; prints the summary
 * and where to look; stops everything — or, with --keep-running, leaves it up to look around. A codec server runs
 * beside the dev server so the Web UI shows every payload decoded. Ctrl+C or SIGTERM (`kill <pid>`, also of
 * `npm run demo`) stops every child it started. --free-ports and --data <dir> let it run beside another stack.
 */
import { workerProcessEnv } from '../worker-heap.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { stringify } from 'csv-stringify/sync';
import { startLocalCodecServer } from '../devserver/codec-server-process.js';
import { freePort, startDevServer, type DevServer } from '../devserver/dev-server.js';
import { startProcess, type RunningProcess } from '../devserver/processes.js';
import { obtainTemporalCli } from '../devserver/temporal-cli.js';
import { generateSeed, simulatorThingSpaceEnv } from '../simulator/index.js';

const { values: flags } = parseArgs({
  options: {
    devices: { type: 'string', default: '1000' },
    'keep-running': { type: 'boolean', default: false },
    'free-ports': { type: 'boolean', default: false },
    data: { type: 'string', default: '.data/demo' },
  },
});

const DATA = resolve(flags.data);
const DEFAULT_PORTS = { temporal: 7233, ui: 8233, simulator: 9100, webhook: 9001, codec: 8888 };
type Ports = typeof DEFAULT_PORTS;

async function choosePorts(): Promise<Ports> {
  if (!flags['free-ports']) return DEFAULT_PORTS;
  const entries = await Promise.all(Object.keys(DEFAULT_PORTS).map(async (name) => [name, await freePort()]));
  return Object.fromEntries(entries) as Ports;
}

/** Everything the demo started, so that a signal stops it all whatever the demo was doing. */
const running: RunningProcess[] = [];
const clis = new Set<ChildProcess>();
let server: DevServer | undefined;
let stopping: Promise<void> | undefined;
function stopAll(): Promise<void> {
  stopping ??= (async () => {
    for (const child of clis) child.kill('SIGTERM');
    for (const proc of [...running].reverse()) await proc.kill('SIGTERM');
    await server?.stop();
  })();
  return stopping;
}

// Node's default for SIGTERM is to die at once, leaving the children running: stop them first, as for Ctrl+C.
// (package.json runs the demo with `exec node`, so the signal npm forwards reaches this process, not a shell.)
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const) {
  process.once(signal, () => {
    step(`${signal}: stopping everything`);
    void stopAll().finally(() => process.exit(code));
  });
}

async function main() {
  const count = Number(flags.devices);
  if (!Number.isInteger(count) || count < 10 || count > 50_000)
    throw new Error('--devices must be a whole number from 10 to 50,000');
  await mkdir(join(DATA, 'logs'), { recursive: true });
  const log = (name: string) => createWriteStream(join(DATA, 'logs', `${name}.log`));
  const ports = await choosePorts();
  const SIM_PORT = ports.simulator;
  const WEBHOOK_PORT = ports.webhook;

  try {
    step(
      `Starting the Temporal dev server (gRPC 127.0.0.1:${ports.temporal}, Web UI http://localhost:${ports.ui}) and its codec server`,
    );
    const codec = await startLocalCodecServer({ port: ports.codec, uiPort: ports.ui, log: log('codec-server') });
    running.push(codec.process);
    // Said aloud: the first run on a machine builds the Temporal CLI, which takes minutes.
    const cli = await obtainTemporalCli({ log: (line) => console.log(`  ${line}`) });
    server = await startDevServer({
      cli,
      port: ports.temporal,
      uiPort: ports.ui,
      startTimeoutMs: 120_000,
      extraArgs: ['--ui-codec-endpoint', codec.endpoint],
      log: () => {},
    });

    step(`Starting the ThingSpace simulator with ${count} generated devices (http://127.0.0.1:${SIM_PORT}/api)`);
    const seed = generateSeed({ count, nbIotShare: 0.1, notInAccountShare: 0.02, seed: 7 });
    await writeFile(join(DATA, 'seed.json'), JSON.stringify(seed));
    await writeFile(
      join(DATA, 'simulator-config.json'),
      JSON.stringify({
        activationDelayMs: 500,
        activationJitterMs: 3_000,
        callbackDelayMs: 200,
        outcomes: { failureRate: 0.05, niddFailureRate: 0.2, dropRate: 0.03, duplicateRate: 0.05, reorder: true },
        logLevel: 'warn',
      }),
    );
    const simulator = startProcess(
      'simulator',
      'src/simulator/main.ts',
      {
        SIM_PORT: String(SIM_PORT),
        SIM_SEED_FILE: join(DATA, 'seed.json'),
        SIM_CONFIG_FILE: join(DATA, 'simulator-config.json'),
      },
      { log: log('simulator') },
    );
    running.push(simulator);
    await simulator.waitFor(/simulator listening/);

    const thingspace = simulatorThingSpaceEnv(`http://127.0.0.1:${SIM_PORT}/api`);
    const temporal = {
      TEMPORAL_ADDRESS: server.address,
      TEMPORAL_NAMESPACE: server.namespace,
      TEMPORAL_UI_URL: `http://localhost:${ports.ui}`,
    };
    const callbacks = { CALLBACK_USERNAME: 'demo', CALLBACK_PASSWORD: randomBytes(12).toString('hex') };

    step(`Starting the webhook (http://127.0.0.1:${WEBHOOK_PORT}) and a worker`);
    const webhook = startProcess(
      'webhook',
      'src/webhook/main.ts',
      { ...temporal, ...callbacks, WEBHOOK_PORT: String(WEBHOOK_PORT), WEBHOOK_HOST: '127.0.0.1' },
      { log: log('webhook') },
    );
    const worker = startProcess(
      'worker',
      'src/worker.ts',
      { ...temporal, ...thingspace, ...workerProcessEnv() },
      { log: log('worker') },
    );
    running.push(webhook, worker);
    await Promise.all([webhook.waitFor(/webhook ready/), worker.waitFor(/Worker polling/, 120_000)]);

    step('Registering the webhook for CarrierService and NiddService callbacks');
    await runCli(['register-callbacks', '--url', `http://127.0.0.1:${WEBHOOK_PORT}`], { ...thingspace, ...callbacks });

    const csv = join(DATA, 'devices.csv');
    await writeFile(
      csv,
      stringify(
        seed.devices.map((d) => ({
          imei: d.deviceIds.find((i) => i.kind.toLowerCase() === 'imei')?.id ?? '',
          iccid: d.deviceIds.find((i) => i.kind.toLowerCase() === 'iccid')?.id ?? '',
          nbIot: d.type === 'NB-IoT',
        })),
        { header: true },
      ),
    );
    step(`Activating ${seed.devices.length} devices from ${csv}`);
    await runCli(
      [
        'activate',
        csv,
        '--job-id',
        `demo-${Date.now()}`,
        '--service-plan',
        '4G-IoT-1GB',
        '--mdn-zip-code',
        '98801',
        '--max-devices-per-request',
        String(Math.ceil(seed.devices.length / 3)),
        // Short waits so the polling fallback shows in a demo; production waits 12 hours for callbacks.
        '--callback-timeout',
        '20 seconds',
        '--poll-interval',
        '3 seconds',
        '--poll-deadline',
        '2 minutes',
        '--wait',
      ],
      { ...temporal, ...thingspace },
    );

    console.log(`
Where to look in the Web UI (http://localhost:${ports.ui}):
  - the job workflow (type activationJob) and its request workflows (thingspace-request-…); inputs and results
    show decoded, through the codec server at ${codec.endpoint};
  - filter with the search attributes, e.g.  ActivationPhase = "done" AND DevicesFailed > 0
  - each workflow's Queries tab: "progress"; its history shows the batched "callbacks" signals.
Logs of every process: ${join(DATA, 'logs')}`);
    if (flags['keep-running']) {
      console.log('\nEverything keeps running (--keep-running). Press Ctrl+C (or send SIGTERM) to stop it all.');
      // The signal handlers above stop everything and exit.
      await new Promise<never>(() => {});
    }
  } finally {
    step('Stopping everything');
    await stopAll();
  }
}

function step(text: string) {
  console.log(`\n▶ ${text}`);
}

/** The CLI as a child process with the terminal attached, so its progress bar draws as it would for a user. */
async function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  await new Promise<void>((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/starter.ts', ...args], {
      stdio: 'inherit',
      env: { ...process.env, ...env },
    });
    clis.add(child);
    child.once('exit', () => clis.delete(child));
    child.once('exit', (code) =>
      code === 0 ? done() : fail(new Error(`thingspace-activation ${args[0]} exited with ${code}`)),
    );
  });
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`demo failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
