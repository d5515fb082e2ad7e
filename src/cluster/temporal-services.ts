/**
 * Temporal's four services as four processes of the one server binary (`--service X`), as a production
 * deployment scales them; each finds the others through the membership table in PostgreSQL.
 */
import { join } from 'node:path';
import { Supervised } from './supervised.js';
import { TEMPORAL_SERVICES, type TemporalService } from './temporal-config.js';

/** Logged once a service has its cluster metadata and listens for gRPC. */
export const TEMPORAL_LISTENING = /Created gRPC listener/;

export function temporalServices(options: {
  server: string;
  root: string;
  configDirs: Record<TemporalService, string>;
  logDir: string;
}): Record<TemporalService, Supervised> {
  const services = {} as Record<TemporalService, Supervised>;
  for (const service of TEMPORAL_SERVICES) {
    services[service] = new Supervised({
      name: `temporal-${service}`,
      command: options.server,
      args: [
        '--root',
        options.root,
        '--config',
        options.configDirs[service],
        '--env',
        'development',
        // No authorizer: the frontend listens on 127.0.0.1 only, like the compose file's published port.
        '--allow-no-auth',
        'start',
        '--service',
        service,
      ],
      cwd: options.root,
      logFile: join(options.logDir, `temporal-${service}.log`),
      // The server drains on SIGTERM; history hands its shards over, which takes a few seconds.
      stopTimeoutMs: 30_000,
    });
  }
  return services;
}
