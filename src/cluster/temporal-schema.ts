/**
 * Creates Temporal's two databases on our PostgreSQL and migrates them to the schema the server binary embeds:
 * the same three steps as deploy/temporal/setup-postgres.sh (docker-compose), with the SQL tool built from the
 * module. The password goes through the environment, not the command line (`ps` shows command lines).
 */
import { runLogged } from '../devserver/go-binaries.js';
import { PG_USER } from './postgres.js';

const DATABASES = [
  { name: 'temporal', schema: 'postgresql/v12/temporal' },
  { name: 'temporal_visibility', schema: 'postgresql/v12/visibility' },
] as const;

export async function setUpTemporalSchema(
  sql: string,
  options: { pgPort: number; pgPassword: string; log?: (line: string) => void },
): Promise<void> {
  const env = {
    ...process.env,
    SQL_PLUGIN: 'postgres12',
    SQL_HOST: '127.0.0.1',
    SQL_PORT: String(options.pgPort),
    SQL_USER: PG_USER,
    SQL_PASSWORD: options.pgPassword,
  };
  const log = options.log ?? (() => {});
  for (const db of DATABASES) {
    const run = (...args: string[]) => runLogged(sql, ['--db', db.name, ...args], env, log);
    await run('create-database');
    await run('setup-schema', '-v', '0.0');
    await run('update-schema', '--schema-name', db.schema);
  }
}
