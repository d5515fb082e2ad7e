/**
 * The Temporal server configuration of the cluster: the module's `config/development-postgres12.yaml`, adapted to
 * our PostgreSQL (port, password) and to free ports, one configuration directory per service so that each process
 * has its own metrics port. The dynamic config is docker-compose's (deploy/temporal/dynamicconfig/docker.yaml), so
 * both describe one deployment.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { PG_USER } from './postgres.js';

export const TEMPORAL_SERVICES = ['frontend', 'history', 'matching', 'worker'] as const;
export type TemporalService = (typeof TEMPORAL_SERVICES)[number];

export const DYNAMIC_CONFIG = fileURLToPath(
  new URL('../../deploy/temporal/dynamicconfig/docker.yaml', import.meta.url),
);

export interface ServicePorts {
  grpc: number;
  membership: number;
  metrics: number;
  /** Frontend only: the HTTP API. */
  http?: number;
}

export interface TemporalConfigOptions {
  template: string;
  /** The server's --root; configurations go to `<root>/config/<service>/development.yaml`. */
  root: string;
  pgPort: number;
  pgPassword: string;
  ports: Record<TemporalService, ServicePorts>;
  logLevel?: string;
}

type Yaml = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Writes one configuration per service; returns the --config value (relative to root) of each. */
export async function writeTemporalConfigs(options: TemporalConfigOptions): Promise<Record<TemporalService, string>> {
  const base = parse(await readFile(options.template, 'utf8')) as Yaml;
  for (const store of Object.values(base.persistence.datastores as Record<string, Yaml>)) {
    store.sql.connectAddr = `127.0.0.1:${options.pgPort}`;
    store.sql.user = PG_USER;
    store.sql.password = options.pgPassword;
  }
  base.log = { stdout: true, level: options.logLevel ?? 'info' };
  // One pprof port would be shared by four processes; none is needed.
  delete base.global.pprof;
  for (const service of TEMPORAL_SERVICES) {
    const ports = options.ports[service];
    base.services[service].rpc = {
      grpcPort: ports.grpc,
      membershipPort: ports.membership,
      bindOnLocalHost: true,
      ...(ports.http !== undefined && { httpPort: ports.http }),
    };
  }
  base.clusterMetadata.clusterInformation.active.rpcAddress = `127.0.0.1:${options.ports.frontend.grpc}`;
  // Archival is off in the namespace defaults; its providers would only write under /tmp.
  delete base.archival;
  delete base.namespaceDefaults;
  base.dynamicConfigClient = { filepath: DYNAMIC_CONFIG, pollInterval: '10s' };

  const dirs = {} as Record<TemporalService, string>;
  for (const service of TEMPORAL_SERVICES) {
    const config = structuredClone(base);
    config.global.metrics.prometheus.listenAddress = `127.0.0.1:${options.ports[service].metrics}`;
    const dir = join('config', service);
    await mkdir(join(options.root, dir), { recursive: true, mode: 0o700 });
    // Holds the database password: readable by us only.
    await writeFile(join(options.root, dir, 'development.yaml'), stringify(config), { mode: 0o600 });
    dirs[service] = dir;
  }
  return dirs;
}
