/**
 * Free ports for the cluster's processes, all distinct. Temporal stores membership ports in a PostgreSQL
 * `smallint` column, so those must stay below 32768, under Linux's ephemeral range (32768-60999) too.
 */
import { randomInt } from 'node:crypto';
import { createServer } from 'node:net';
import { freePort } from '../devserver/dev-server.js';

function bindable(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

export class PortAllocator {
  private readonly taken = new Set<number>();

  /** A port the operating system picks (ephemeral range). */
  async any(): Promise<number> {
    for (;;) {
      const port = await freePort();
      if (!this.taken.has(port)) return this.take(port);
    }
  }

  /** A free port in [20000, 32767]: what Temporal's membership table can hold. */
  async low(): Promise<number> {
    for (let attempt = 0; attempt < 1_000; attempt++) {
      const port = randomInt(20_000, 32_768);
      if (!this.taken.has(port) && (await bindable(port))) return this.take(port);
    }
    throw new Error('no free port between 20000 and 32767');
  }

  private take(port: number): number {
    this.taken.add(port);
    return port;
  }
}
