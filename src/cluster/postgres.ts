/**
 * PostgreSQL 15 from Debian for the cluster: a private data directory and port, run as an unprivileged user (the
 * cluster may run as root, which PostgreSQL refuses), password authentication over TCP on 127.0.0.1 only.
 */
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access, chmod, chown, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Supervised } from './supervised.js';

export const PG_BIN_DIR = process.env.PG_BIN_DIR ?? '/usr/lib/postgresql/15/bin';
/** The database superuser Temporal connects as. */
export const PG_USER = 'temporal';

export class PostgresUnavailableError extends Error {
  override name = 'PostgresUnavailableError';
}

export async function checkPostgresInstalled(binDir = PG_BIN_DIR): Promise<void> {
  try {
    await access(join(binDir, 'postgres'), constants.X_OK);
    await access(join(binDir, 'initdb'), constants.X_OK);
  } catch {
    throw new PostgresUnavailableError(
      `PostgreSQL 15 is not installed (no ${binDir}/postgres). On Debian or Ubuntu: ` +
        '`apt-get update && apt-get install -y postgresql` (or set PG_BIN_DIR to the directory of another ' +
        'installation’s postgres and initdb).',
    );
  }
}

/** Who runs PostgreSQL: ourselves unless we are root, then the `postgres` user (CLUSTER_PG_OS_USER overrides). */
export async function postgresOsUser(): Promise<{ uid: number; gid: number; name: string } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const name = process.env.CLUSTER_PG_OS_USER ?? 'postgres';
  const entry = (await readFile('/etc/passwd', 'utf8')).split('\n').find((line) => line.startsWith(`${name}:`));
  if (!entry) {
    throw new PostgresUnavailableError(
      `We run as root and PostgreSQL refuses to, but there is no user "${name}" to run it as. ` +
        `Create one (\`useradd --system ${name}\`) or name another with CLUSTER_PG_OS_USER.`,
    );
  }
  const [, , uid, gid] = entry.split(':');
  return { uid: Number(uid), gid: Number(gid), name };
}

export interface PostgresOptions {
  /** Owned by the PostgreSQL user; its parent must be traversable by that user. */
  dir: string;
  port: number;
  password: string;
  logFile: string;
  binDir?: string;
}

/** Runs initdb (once) and returns the server process, not yet started. */
export async function preparePostgres(options: PostgresOptions): Promise<Supervised> {
  const binDir = options.binDir ?? PG_BIN_DIR;
  await checkPostgresInstalled(binDir);
  const user = await postgresOsUser();
  const data = join(options.dir, 'data');
  const sockets = join(options.dir, 'run');
  await mkdir(sockets, { recursive: true });
  const passwordFile = join(options.dir, 'initdb-password');
  await writeFile(passwordFile, options.password, { mode: 0o600 });
  for (const path of [options.dir, sockets, passwordFile]) {
    if (user) await chown(path, user.uid, user.gid);
  }
  await chmod(options.dir, 0o700);

  const exists = await access(join(data, 'PG_VERSION')).then(
    () => true,
    () => false,
  );
  if (!exists) {
    await promisify(execFile)(
      join(binDir, 'initdb'),
      [
        '-D',
        data,
        '-U',
        PG_USER,
        `--pwfile=${passwordFile}`,
        '--auth-host=scram-sha-256',
        '--auth-local=scram-sha-256',
        '--encoding=UTF8',
        '--locale=C',
      ],
      { ...(user && { uid: user.uid, gid: user.gid }) },
    );
  }

  return new Supervised({
    name: 'postgresql',
    command: join(binDir, 'postgres'),
    args: [
      '-D',
      data,
      '-p',
      String(options.port),
      '-k',
      sockets,
      '-c',
      'listen_addresses=127.0.0.1',
      // Temporal's four services and the SQL tool keep a few pools of connections each.
      '-c',
      'max_connections=200',
    ],
    ...(user && { uid: user.uid, gid: user.gid }),
    logFile: options.logFile,
    // SIGINT is PostgreSQL's "fast" shutdown: roll back open transactions, checkpoint, exit.
    stopSignal: 'SIGINT',
    stopTimeoutMs: 30_000,
  });
}

export const POSTGRES_READY = /database system is ready to accept connections/;

export async function startPostgres(pg: Supervised): Promise<void> {
  pg.start();
  await pg.waitFor(POSTGRES_READY, 60_000);
}
