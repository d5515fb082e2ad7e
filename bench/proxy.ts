/**
 * A round-robin TCP proxy standing in for the load balancer a deployment puts in front of several webhooks: the
 * simulator, like ThingSpace, sends every callback of an account to the one registered URL. It balances
 * connections, not requests, which spreads the load evenly because the sender keeps many connections open.
 */
import { createConnection, createServer, type AddressInfo, type Socket } from 'node:net';

export interface Proxy {
  port: number;
  close(): Promise<void>;
}

export function startRoundRobinProxy(targetPorts: readonly number[]): Promise<Proxy> {
  const sockets = new Set<Socket>();
  let next = 0;
  const server = createServer((downstream) => {
    const upstream = createConnection(targetPorts[next++ % targetPorts.length]!, '127.0.0.1');
    for (const socket of [downstream, upstream]) {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      // One side failing ends the pair: the sender sees a dropped connection and retries, as behind a real LB.
      socket.once('error', () => {
        downstream.destroy();
        upstream.destroy();
      });
    }
    downstream.pipe(upstream).pipe(downstream);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () =>
          new Promise<void>((done) => {
            for (const socket of sockets) socket.destroy();
            server.close(() => done());
          }),
      }),
    ),
  );
}
