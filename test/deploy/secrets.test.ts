/**
 * The deployment's secrets: every compose secret has an example under deploy/secrets.example/, and each example
 * that guards this stack (database, callback listener, payload keys) stops the component that reads it. The
 * Temporal one-shot and server wrapper run here with `sh`, against a stand-in temporal-sql-tool.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { ROOT } from '../../scripts/check-compose.js';
import { encryptionKeysFromEnv } from '../../src/temporal/encryption-codec.js';
import { webhookSettingsFromEnv } from '../../src/webhook/config.js';

const EXAMPLES = join(ROOT, 'deploy/secrets.example');
const example = (name: string) => readFile(join(EXAMPLES, name), 'utf8');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'secrets-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function sh(script: string, env: Record<string, string>): Promise<Run> {
  try {
    const { stdout, stderr } = await promisify(execFile)('sh', [join(ROOT, script)], { env });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('compose secrets', () => {
  it('each has an example file, and the examples are all there is', async () => {
    const compose = parse(await readFile(join(ROOT, 'docker-compose.yml'), 'utf8')) as {
      secrets: Record<string, { file: string }>;
    };
    const names = Object.keys(compose.secrets).sort();
    for (const name of names) expect(compose.secrets[name]!.file).toBe(`./secrets/${name}`);
    const files = (await readdir(EXAMPLES)).filter((f) => f !== 'README.md').sort();
    expect(files).toEqual(names);
  });

  it('the callback password and payload key examples stop the webhook and the worker', async () => {
    const password = await example('callback_password');
    expect(() =>
      webhookSettingsFromEnv(
        { CALLBACK_USERNAME: 'u', CALLBACK_PASSWORD_FILE: '/run/secrets/callback_password' },
        () => password,
      ),
    ).toThrow('CALLBACK_PASSWORD_FILE: is the shipped example value');
    const keys = await example('payload_encryption_keys');
    expect(() =>
      encryptionKeysFromEnv(
        { PAYLOAD_ENCRYPTION_KEYS_FILE: '/run/secrets/payload_encryption_keys', PAYLOAD_ENCRYPTION_KEY_ID: 'k1' },
        () => keys,
      ),
    ).toThrow('PAYLOAD_ENCRYPTION_KEYS_FILE: is the shipped example value');
  });
});

describe('deploy/temporal scripts', () => {
  /** A temporal-sql-tool that records its arguments and the password it was given. */
  async function fakeTools(): Promise<{ path: string; log: string }> {
    const bin = await mkdtemp(join(dir, 'bin-'));
    const log = join(bin, 'calls.log');
    const tool = join(bin, 'temporal-sql-tool');
    await writeFile(tool, `#!/bin/sh\necho "$SQL_PASSWORD $*" >> "${log}"\n`);
    await chmod(tool, 0o755);
    return { path: `${bin}:/usr/bin:/bin`, log };
  }

  it('setup-postgres.sh refuses the example database password before touching the database', async () => {
    const { path, log } = await fakeTools();
    const secret = join(dir, 'postgres_password');
    await writeFile(secret, await example('postgres_password'));
    const run = await sh('deploy/temporal/setup-postgres.sh', {
      PATH: path,
      SQL_HOST: 'postgresql',
      SQL_USER: 'temporal',
      SQL_PASSWORD_FILE: secret,
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'SQL_PASSWORD: is the shipped example value (it begins with "change-me"); choose your own',
    );
    await expect(readFile(log, 'utf8')).rejects.toThrow(/ENOENT/);
  });

  it('setup-postgres.sh reads the password from its file and sets up both databases', async () => {
    const { path, log } = await fakeTools();
    const secret = join(dir, 'postgres_password_ok');
    await writeFile(secret, 'a-real-password\n');
    const run = await sh('deploy/temporal/setup-postgres.sh', {
      PATH: path,
      SQL_HOST: 'postgresql',
      SQL_USER: 'temporal',
      SQL_PASSWORD_FILE: secret,
    });
    expect(run).toMatchObject({ code: 0 });
    const calls = (await readFile(log, 'utf8')).trim().split('\n');
    expect(calls).toHaveLength(6);
    for (const call of calls) expect(call).toMatch(/^a-real-password --db temporal(_visibility)? /);
  });

  it('server-entrypoint.sh refuses the example password, and a missing one', async () => {
    const secret = join(dir, 'postgres_password_example');
    await writeFile(secret, await example('postgres_password'));
    const refused = await sh('deploy/temporal/server-entrypoint.sh', {
      PATH: '/usr/bin:/bin',
      POSTGRES_PWD_FILE: secret,
    });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('POSTGRES_PWD: is the shipped example value');
    const missing = await sh('deploy/temporal/server-entrypoint.sh', { PATH: '/usr/bin:/bin' });
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('POSTGRES_PWD or POSTGRES_PWD_FILE must be set');
  });
});
