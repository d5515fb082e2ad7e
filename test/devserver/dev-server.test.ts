import { describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { freePort, startDevServer } from '../../src/devserver/dev-server.js';
import { CompressionCodec } from '../../src/temporal/compression-codec.js';
import { alive, descendants } from '../harness/process-tree.js';
import { ThingSpaceAccount } from '../../src/search-attributes.js';

/** Starts `npm run dev:server` as a user would and resolves once it prints its Web UI address. */
function runDevServerScript(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; output: string[] }> {
  const child = spawn('npm', ['run', '--silent', 'dev:server'], { env: { ...process.env, ...env }, detached: true });
  const output: string[] = [];
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output.push(chunk.toString());
      if (/Web UI: http/.test(output.join(''))) resolve({ child, output });
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`dev:server exited (${code}): ${output.join('')}`)));
  });
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    process.kill(-child.pid!, 'SIGINT');
  });
}

describe('npm run dev:server', () => {
  it('serves the Web UI, registers the search attributes, and keeps workflows across a restart', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'dev-server-'));
    const port = await freePort();
    const uiPort = await freePort();
    const codecPort = await freePort();
    const env = {
      TEMPORAL_DEV_PORT: String(port),
      TEMPORAL_DEV_UI_PORT: String(uiPort),
      TEMPORAL_DEV_CODEC_PORT: String(codecPort),
      TEMPORAL_DEV_DB_FILE: join(dataDir, 'temporal.sqlite'),
    };
    const workflowId = `dev-server-test-${Date.now()}`;

    let { child, output } = await runDevServerScript(env);
    try {
      const ui = await fetch(`http://127.0.0.1:${uiPort}/`);
      expect(ui.status).toBe(200);
      expect(await ui.text()).toMatch(/<html/i);

      // The Web UI is given the codec server it started, which decodes a gzipped payload for it.
      const endpoint = `http://127.0.0.1:${codecPort}`;
      expect(output.join('')).toContain(`Web UI: http://127.0.0.1:${uiPort} (payloads decoded through ${endpoint})`);
      const settings = (await (await fetch(`http://127.0.0.1:${uiPort}/api/v1/settings`)).json()) as {
        Codec?: { Endpoint?: string };
      };
      expect(settings.Codec?.Endpoint).toBe(endpoint);
      const [gzipped] = await new CompressionCodec(0).encode([defaultPayloadConverter.toPayload({ imei: '1' })]);
      const decoded = await fetch(`${endpoint}/decode`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: `http://localhost:${uiPort}` },
        body: JSON.stringify({
          payloads: [
            {
              metadata: { encoding: Buffer.from(gzipped!.metadata!.encoding!).toString('base64') },
              data: Buffer.from(gzipped!.data!).toString('base64'),
            },
          ],
        }),
      });
      expect(decoded.headers.get('access-control-allow-origin')).toBe(`http://localhost:${uiPort}`);
      const body = (await decoded.json()) as { payloads: { data: string }[] };
      expect(Buffer.from(body.payloads[0]!.data, 'base64').toString()).toBe('{"imei":"1"}');

      const connection = await Connection.connect({ address: `127.0.0.1:${port}` });
      const client = new Client({ connection });
      // No worker: the workflow stays open, which is all a visibility query needs.
      await client.workflow.start('activationRequest', {
        taskQueue: 'nobody-polls',
        workflowId,
        args: [],
        typedSearchAttributes: [{ key: ThingSpaceAccount, value: 'dev-server-account' }],
      });
      let count = 0;
      for (let attempt = 0; attempt < 50 && count === 0; attempt++) {
        count = (await client.workflow.count(`${ThingSpaceAccount.name} = 'dev-server-account'`)).count;
        if (count === 0) await new Promise((r) => setTimeout(r, 200));
      }
      expect(count).toBe(1);
      await connection.close();
    } finally {
      await stop(child);
    }

    ({ child, output } = await runDevServerScript(env));
    try {
      const connection = await Connection.connect({ address: `127.0.0.1:${port}` });
      const description = await new Client({ connection }).workflow.getHandle(workflowId).describe();
      expect(description.status.name).toBe('RUNNING');
      await connection.close();
    } finally {
      await stop(child);
    }
  }, 120_000);
});

describe('npm run dev:server on SIGTERM', () => {
  it('stops the dev server and its codec server when npm alone is killed', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'dev-server-'));
    const { child } = await runDevServerScript({
      TEMPORAL_DEV_PORT: String(await freePort()),
      TEMPORAL_DEV_UI_PORT: String(await freePort()),
      TEMPORAL_DEV_CODEC_PORT: String(await freePort()),
      TEMPORAL_DEV_DB_FILE: join(dataDir, 'temporal.sqlite'),
    });
    const started = descendants(child.pid!);
    try {
      expect(started.filter((p) => /temporal server start-dev .*--ui-codec-endpoint/.test(p.cmdline))).toHaveLength(1);
      expect(started.filter((p) => /src\/codec-server\/main\.ts/.test(p.cmdline))).toHaveLength(1);
      const exited = new Promise((resolve) => child.once('exit', resolve));
      process.kill(child.pid!, 'SIGTERM'); // npm only, not its process group
      await exited;
      expect(started.filter((p) => alive(p.pid)).map((p) => p.cmdline)).toEqual([]);
    } finally {
      for (const p of started) if (alive(p.pid)) process.kill(p.pid, 'SIGKILL');
    }
  }, 120_000);

  it('refuses a codec server without a token on a non-loopback address', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/codec-server/main.ts'], {
      env: { ...process.env, CODEC_LOCAL_WITHOUT_TOKEN: 'true', CODEC_SERVER_HOST: '0.0.0.0', CODEC_SERVER_PORT: '0' },
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).toBe(1);
    expect(stderr).toContain(
      'CODEC_LOCAL_WITHOUT_TOKEN=true needs CODEC_SERVER_HOST to be a loopback address, got "0.0.0.0"',
    );
  });
});

describe('startDevServer failures name their cause', () => {
  it('a port already in use', async () => {
    const blocker = createServer();
    const port = await new Promise<number>((resolve) =>
      blocker.listen(0, '127.0.0.1', () => resolve((blocker.address() as { port: number }).port)),
    );
    try {
      await expect(startDevServer({ port })).rejects.toThrow(`Port ${port} on 127.0.0.1 (gRPC) is already in use`);
    } finally {
      blocker.close();
    }
  });

  it('a binary that exits during start-up', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bad-cli-'));
    const path = join(dir, 'temporal');
    await writeFile(path, '#!/bin/sh\necho "unknown flag: --frobnicate" >&2\nexit 3\n');
    await chmod(path, 0o755);
    await expect(startDevServer({ cli: { kind: 'binary', path, source: 'TEMPORAL_CLI_PATH' } })).rejects.toThrow(
      /exited during start-up \(code 3\)[\s\S]*unknown flag/,
    );
  });

  it('a server that never becomes ready', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'slow-cli-'));
    const path = join(dir, 'temporal');
    await writeFile(path, '#!/bin/sh\nexec sleep 30\n');
    await chmod(path, 0o755);
    await expect(
      startDevServer({ cli: { kind: 'binary', path, source: 'TEMPORAL_CLI_PATH' }, startTimeoutMs: 1_500 }),
    ).rejects.toThrow(/was not ready in time/);
  });
});
