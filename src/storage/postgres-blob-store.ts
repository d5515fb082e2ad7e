/**
 * The PostgreSQL backend: one table of (key, bytes), shared by every worker, webhook, codec server and client of a
 * deployment on any host. The production Temporal already needs a PostgreSQL, so this adds no new service to run
 * (a separate database or at least a separate user on it is still wise: Temporal's schema tool owns its own).
 */
import pg from 'pg';
import { BlobNotFoundError, checkBlobKey, type BlobStore, type PruneOptions, type PruneResult } from './blob-store.js';

export const DEFAULT_BLOB_TABLE = 'thingspace_blobs';

/** Unquoted identifiers only, so the name can go into SQL text (a table name cannot be a query parameter). */
const TABLE_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * PostgreSQL's codes for "that type/table already exists", which concurrent CREATE TABLE IF NOT EXISTS can raise:
 * a unique violation on the catalogue, duplicate_table, or duplicate_object (`type "…" already exists`, seen in CI).
 */
const ALREADY_CREATED = new Set(['23505', '42P07', '42710']);

export interface PostgresBlobStoreOptions {
  /** Defaults to DEFAULT_BLOB_TABLE; tests use their own. */
  table?: string;
  /** Overrides the URL's password (BLOB_STORE_PASSWORD_FILE: a mounted secret rather than a password in a URL). */
  password?: string;
  /** Connections per process; defaults to 10. */
  maxConnections?: number;
}

export class PostgresBlobStore implements BlobStore {
  readonly description: string;
  private readonly pool: pg.Pool;
  private readonly table: string;
  private created: Promise<void> | undefined;
  private closed: Promise<void> | undefined;

  constructor(url: string, options: PostgresBlobStoreOptions = {}) {
    this.table = options.table ?? DEFAULT_BLOB_TABLE;
    if (!TABLE_PATTERN.test(this.table)) {
      throw new Error(`invalid blob table name "${this.table}": 1-63 lower-case letters, digits and _`);
    }
    this.description = `PostgreSQL ${withoutPassword(url)} table ${this.table}`;
    this.pool = new pg.Pool({
      // pg lets the URL's fields win over separate options, so a password from a file goes into the URL.
      connectionString: options.password === undefined ? url : withPassword(url, options.password),
      max: options.maxConnections ?? 10,
      // A process that is done (a CLI command, a test) exits without having to close the store first.
      allowExitOnIdle: true,
    });
    // An idle connection that breaks (PostgreSQL restarted) is dropped by the pool; without a listener the
    // 'error' event would end the process. The next query opens a new connection.
    this.pool.on('error', () => {});
  }

  async put(key: string, data: Uint8Array): Promise<void> {
    checkBlobKey(key);
    await this.ensureTable();
    await this.pool.query(
      `INSERT INTO ${this.table} (key, data) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET data = EXCLUDED.data, created_at = now()`,
      [key, Buffer.from(data.buffer, data.byteOffset, data.byteLength)],
    );
  }

  async get(key: string): Promise<Uint8Array> {
    checkBlobKey(key);
    await this.ensureTable();
    const result = await this.pool.query<{ data: Buffer }>(`SELECT data FROM ${this.table} WHERE key = $1`, [key]);
    const row = result.rows[0];
    if (!row) throw new BlobNotFoundError(key);
    return row.data;
  }

  /** In one statement, so a put that rewrites a key meanwhile either comes first (and is kept) or after. */
  async prune(cutoff: Date, options: PruneOptions = {}): Promise<PruneResult> {
    await this.ensureTable();
    const which = `created_at < $1 AND NOT (key = ANY($2::text[]))`;
    const result = await this.pool.query<{ objects: string; bytes: string | null }>(
      options.dryRun
        ? `SELECT count(*) AS objects, sum(octet_length(data)) AS bytes FROM ${this.table} WHERE ${which}`
        : `WITH gone AS (DELETE FROM ${this.table} WHERE ${which} RETURNING octet_length(data) AS size) ` +
            'SELECT count(*) AS objects, sum(size) AS bytes FROM gone',
      [cutoff, [...(options.keep ?? [])]],
    );
    const row = result.rows[0];
    return { objects: Number(row?.objects ?? 0), bytes: Number(row?.bytes ?? 0) };
  }

  close(): Promise<void> {
    this.closed ??= this.pool.end();
    return this.closed;
  }

  /** Once per process; a failure (PostgreSQL not up yet) is not remembered, so the next call tries again. */
  private ensureTable(): Promise<void> {
    this.created ??= this.pool
      .query(
        `CREATE TABLE IF NOT EXISTS ${this.table} (key text PRIMARY KEY, data bytea NOT NULL, ` +
          'created_at timestamptz NOT NULL DEFAULT now())',
      )
      .then(
        () => undefined,
        (err: unknown) => {
          // Two processes creating the table at the same moment: one of them gets a unique violation on the
          // catalogue, and the table is there all the same.
          if (ALREADY_CREATED.has((err as { code?: string }).code ?? '')) return;
          this.created = undefined;
          throw err;
        },
      );
    return this.created;
  }
}

function withPassword(url: string, password: string): string {
  const parsed = new URL(url);
  parsed.password = encodeURIComponent(password);
  return parsed.toString();
}

/** The URL for messages: the password, if any, replaced by ***. */
export function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    if (parsed.searchParams.has('password')) parsed.searchParams.set('password', '***');
    return parsed.toString();
  } catch {
    return 'postgres://(an unparsable URL)';
  }
}
