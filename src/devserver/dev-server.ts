/**
 * Starts and stops a Temporal dev server (SQLite, Web UI) for `npm run dev:server`, the test harness and the demo.
 * Failures name their cause: a missing binary, a port in use, an early exit, or a start-up timeout.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import { customSearchAttributes, searchAttributeCliPairs } from '../search-attributes.js';
import { noRouteMessage, obtainTemporalCli, type TemporalCli } from './temporal-cli.js';
import getPort from 'get-port';

export interface DevServerOptions {
  ip?: string;
  /** gRPC port; 0 picks a free one. */
  port?: number;
  /** Web UI port; 0 picks a free one; false runs headless. */
  uiPort?: number | false;
  /** SQLite file that keeps workflows across restarts; in memory when absent. */
  dbFile?: string;
  namespace?: string;
  startTimeoutMs?: number;
  /** Extra `temporal server start-dev` flags, e.g. `--ui-codec-endpoint`. */
  extraArgs?: string[];
  cli?: TemporalCli;
  log?: (line: string) => void;
}

export interface DevServer {
  address: string;
  namespace: string;
  uiUrl: string | undefined;
  stop(): Promise<void>;
}

export class DevServerStartError extends Error {
  override name = 'DevServerStartError';
}

async function portFree(ip: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, ip, () => server.close(() => resolve(true)));
  });
}

/** A port free on `ip` now (get-port asks the OS for one, as listening on port 0 does). */
export function freePort(ip = '127.0.0.1'): Promise<number> {
  return getPort({ host: ip });
}

async function choosePort(ip: string, port: number, what: string): Promise<number> {
  if (port === 0) return freePort(ip);
  if (!(await portFree(ip, port))) {
    throw new DevServerStartError(
      `Port ${port} on ${ip} (${what}) is already in use — is another Temporal server running? Stop it or choose another port.`,
    );
  }
  return port;
}

/** Ready means: frontend answers, the namespace exists and every custom search attribute is registered. */
async function waitUntilReady(
  address: string,
  namespace: string,
  deadline: number,
  exited: () => string | undefined,
): Promise<void> {
  let lastError = 'no answer yet';
  while (Date.now() < deadline) {
    const exitReason = exited();
    if (exitReason) throw new DevServerStartError(exitReason);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      try {
        const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
        const missing = customSearchAttributes.filter((key) => !(customAttributes && key.name in customAttributes));
        if (missing.length === 0) return;
        lastError = `search attributes not registered yet: ${missing.map((k) => k.name).join(', ')}`;
      } finally {
        await connection.close();
      }
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    await sleep(250);
  }
  throw new DevServerStartError(
    `The Temporal dev server at ${address} was not ready in time (last check: ${lastError}).`,
  );
}

async function waitForUi(uiUrl: string, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    try {
      if ((await fetch(uiUrl)).ok) return;
    } catch {
      // not listening yet
    }
    await sleep(250);
  }
  throw new DevServerStartError(`The Temporal Web UI at ${uiUrl} did not answer in time.`);
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(killer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

async function startBinary(
  path: string,
  options: Required<Omit<DevServerOptions, 'cli' | 'dbFile'>> & DevServerOptions,
) {
  const { ip, namespace, log } = options;
  const port = await choosePort(ip, options.port, 'gRPC');
  const uiPort = options.uiPort === false ? undefined : await choosePort(ip, options.uiPort, 'Web UI');
  const args = ['server', 'start-dev', '--ip', ip, '--port', String(port), '--namespace', namespace];
  args.push(...(uiPort === undefined ? ['--headless'] : ['--ui-port', String(uiPort)]));
  if (options.dbFile) {
    await mkdir(dirname(options.dbFile), { recursive: true });
    args.push('--db-filename', options.dbFile);
  }
  for (const pair of searchAttributeCliPairs()) args.push('--search-attribute', pair);
  args.push('--log-format', 'json', '--log-level', 'warn', ...options.extraArgs);

  const child = spawn(path, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const tail: string[] = [];
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n').filter(Boolean)) {
      tail.push(line);
      if (tail.length > 20) tail.shift();
      log(line);
    }
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exitReason: string | undefined;
  child.on('error', (err) => (exitReason = `Could not run ${path}: ${err.message}`));
  child.on('exit', (code, signal) => {
    exitReason ??= `The Temporal dev server exited during start-up (${signal ?? `code ${code}`}). Its last output:\n${tail.join('\n')}`;
  });

  const address = `${ip}:${port}`;
  const uiUrl = uiPort === undefined ? undefined : `http://${ip === '0.0.0.0' ? 'localhost' : ip}:${uiPort}`;
  const deadline = Date.now() + options.startTimeoutMs;
  try {
    await waitUntilReady(address, namespace, deadline, () => exitReason);
    if (uiUrl) await waitForUi(uiUrl, deadline);
  } catch (err) {
    await stopChild(child);
    throw err;
  }
  return { address, namespace, uiUrl, stop: () => stopChild(child) };
}

/** Machines with internet but neither the CLI nor Go: the SDK downloads and runs the dev server itself. */
async function startWithSdkDownload(options: Required<Omit<DevServerOptions, 'cli' | 'dbFile'>> & DevServerOptions) {
  const { TestWorkflowEnvironment } = await import('@temporalio/testing');
  const uiPort = options.uiPort === false ? undefined : options.uiPort || (await freePort(options.ip));
  try {
    const env = await TestWorkflowEnvironment.createLocal({
      server: {
        executable: { type: 'cached-download' },
        ip: options.ip,
        ...(options.port ? { port: options.port } : {}),
        ...(uiPort === undefined ? { ui: false } : { ui: true, uiPort }),
        ...(options.dbFile ? { dbFilename: options.dbFile } : {}),
        namespace: options.namespace,
        searchAttributes: [...customSearchAttributes],
        extraArgs: options.extraArgs,
      },
    });
    const uiUrl = uiPort === undefined ? undefined : `http://${options.ip}:${uiPort}`;
    return { address: env.address, namespace: options.namespace, uiUrl, stop: () => env.teardown() };
  } catch (err) {
    throw new DevServerStartError(noRouteMessage(err));
  }
}

export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  const log = options.log ?? (() => {});
  const resolved = {
    ip: '127.0.0.1',
    port: 0,
    uiPort: false as number | false,
    namespace: 'default',
    startTimeoutMs: 60_000,
    extraArgs: [],
    ...options,
    log,
  };
  const cli = options.cli ?? (await obtainTemporalCli({ log }));
  return cli.kind === 'binary' ? startBinary(cli.path, resolved) : startWithSdkDownload(resolved);
}
