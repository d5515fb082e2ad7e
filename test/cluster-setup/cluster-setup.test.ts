/**
 * The cluster's set-up steps that need no running cluster (npm test runs these; npm run test:cluster runs the
 * cluster itself): where the server binaries come from, what a missing PostgreSQL says, the generated configuration.
 */
import { describe, expect, it } from '@jest/globals';
import { chmod, mkdir, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { obtainTemporalServer, TEMPORAL_SERVER_VERSION } from '../../src/cluster/binaries.js';
import { PortAllocator } from '../../src/cluster/ports.js';
import { checkPostgresInstalled } from '../../src/cluster/postgres.js';
import { TEMPORAL_SERVICES, writeTemporalConfigs, type ServicePorts } from '../../src/cluster/temporal-config.js';

const TEMPLATE = `
persistence:
  datastores:
    postgres-default: { sql: { pluginName: postgres12, databaseName: temporal, connectAddr: "127.0.0.1:5432", user: temporal, password: temporal } }
    postgres-visibility: { sql: { pluginName: postgres12, databaseName: temporal_visibility, connectAddr: "127.0.0.1:5432", user: temporal, password: temporal } }
global:
  pprof: { port: 7936 }
  metrics: { prometheus: { listenAddress: "127.0.0.1:8000" } }
services:
  frontend: { rpc: { grpcPort: 7233, membershipPort: 6933, bindOnLocalHost: true, httpPort: 7243 } }
  matching: { rpc: { grpcPort: 7235, membershipPort: 6935, bindOnLocalHost: true } }
  history: { rpc: { grpcPort: 7234, membershipPort: 6934, bindOnLocalHost: true } }
  worker: { rpc: { grpcPort: 7239, membershipPort: 6939, bindOnLocalHost: true } }
clusterMetadata: { clusterInformation: { active: { rpcAddress: "localhost:7233" } } }
`;

describe('the Temporal server binaries', () => {
  it('come from the versioned cache when both are there', async () => {
    const root = await mkdtemp(join(tmpdir(), 'server-cache-'));
    const dir = join(root, TEMPORAL_SERVER_VERSION);
    await mkdir(dir, { recursive: true });
    for (const name of ['server', 'sql']) {
      await writeFile(join(dir, name), '#!/bin/sh\n');
      await chmod(join(dir, name), 0o755);
    }
    await expect(obtainTemporalServer({ env: { TEMPORAL_SERVER_CACHE_DIR: root, PATH: '' } })).resolves.toEqual({
      server: join(dir, 'server'),
      sql: join(dir, 'sql'),
      configTemplate: join(dir, 'development-postgres12.yaml'),
      source: 'cache',
    });
  });

  it('say how to get Go when neither a build nor Go is there', async () => {
    const root = await mkdtemp(join(tmpdir(), 'server-none-'));
    await expect(obtainTemporalServer({ env: { TEMPORAL_SERVER_CACHE_DIR: root, PATH: '' } })).rejects.toThrow(
      `go install go.temporal.io/server/cmd/server@${TEMPORAL_SERVER_VERSION}`,
    );
  });
});

describe('PostgreSQL', () => {
  it('says how to install it when it is missing', async () => {
    await expect(checkPostgresInstalled('/nonexistent/bin')).rejects.toThrow(
      'apt-get update && apt-get install -y postgresql',
    );
  });
});

describe('the Temporal configuration', () => {
  it('points every service at our PostgreSQL and gives each its own ports', async () => {
    const root = await mkdtemp(join(tmpdir(), 'server-config-'));
    const template = join(root, 'template.yaml');
    await writeFile(template, TEMPLATE);
    const allocate = new PortAllocator();
    const ports = {} as Record<(typeof TEMPORAL_SERVICES)[number], ServicePorts>;
    for (const service of TEMPORAL_SERVICES)
      ports[service] = { grpc: await allocate.any(), membership: await allocate.low(), metrics: await allocate.any() };
    ports.frontend.http = await allocate.any();

    const dirs = await writeTemporalConfigs({ template, root, pgPort: 15432, pgPassword: 'pw-123', ports });
    const metrics = new Set<string>();
    for (const service of TEMPORAL_SERVICES) {
      const file = join(root, dirs[service], 'development.yaml');
      expect((await stat(file)).mode & 0o077).toBe(0);
      const config = parse(await readFile(file, 'utf8'));
      for (const store of Object.values(config.persistence.datastores) as { sql: Record<string, unknown> }[]) {
        expect(store.sql).toMatchObject({ connectAddr: '127.0.0.1:15432', password: 'pw-123' });
      }
      expect(config.services[service].rpc).toMatchObject({
        grpcPort: ports[service].grpc,
        membershipPort: ports[service].membership,
      });
      expect(ports[service].membership).toBeLessThan(32_768);
      expect(config.global.pprof).toBeUndefined();
      metrics.add(config.global.metrics.prometheus.listenAddress);
      expect(config.clusterMetadata.clusterInformation.active.rpcAddress).toBe(`127.0.0.1:${ports.frontend.grpc}`);
    }
    expect(metrics.size).toBe(TEMPORAL_SERVICES.length);
  });
});
