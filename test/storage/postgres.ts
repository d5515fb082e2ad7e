/**
 * A private PostgreSQL 15 for the store tests, started the way `npm run cluster` starts its own
 * (src/cluster/postgres.ts): a temporary data directory, a free port, a random password. PostgreSQL missing is a
 * failure with the install command, never a skipped test (CI installs it).
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Supervised } from '../../src/cluster/supervised.js';
import { checkPostgresInstalled, PG_USER, preparePostgres, startPostgres } from '../../src/cluster/postgres.js';
import { freePort } from '../../src/devserver/dev-server.js';

export interface TestPostgres {
  /** postgres://temporal:<password>@127.0.0.1:<port>/postgres */
  url: string;
  password: string;
  port: number;
  server: Supervised;
  close(): Promise<void>;
}

export async function startTestPostgres(): Promise<TestPostgres> {
  await checkPostgresInstalled();
  const root = await mkdtemp(join(tmpdir(), 'blob-store-pg-'));
  // PostgreSQL runs as the `postgres` user when we are root: it must be able to reach its directory.
  await chmod(root, 0o755);
  const port = await freePort('127.0.0.1');
  const password = randomBytes(18).toString('base64url');
  const server = await preparePostgres({
    dir: join(root, 'pg'),
    port,
    password,
    logFile: join(root, 'postgresql.log'),
  });
  await startPostgres(server);
  return {
    url: `postgres://${PG_USER}:${password}@127.0.0.1:${port}/postgres`,
    password,
    port,
    server,
    close: async () => {
      await server.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}
