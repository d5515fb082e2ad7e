/**
 * A TCP round-robin balancer in front of the webhooks: ThingSpace takes one callback URL per service, so two
 * webhooks need one address, as a production load balancer gives them. A backend that refuses the connection
 * (killed, restarting) is skipped; a connection cut mid-request is the sender's to retry, as ThingSpace does.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface LoadBalancer {
  port: number;
  close(): Promise<void>;
}

export async function startLoadBalancer(host: string, port: number, backends: number[]): Promise<LoadBalancer> {
  let next = 0;
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };

  const server: Server = createServer((client) => {
    track(client);
    client.pause();
    const tryBackend = (attempt: number) => {
      if (attempt >= backends.length) return client.destroy();
      const backendPort = backends[next++ % backends.length]!;
      const upstream = connect(backendPort, host);
      track(upstream);
      let connected = false;
      upstream.once('error', () => (connected ? client.destroy() : tryBackend(attempt + 1)));
      upstream.once('connect', () => {
        connected = true;
        client.pipe(upstream).pipe(client);
        client.resume();
        client.once('error', () => upstream.destroy());
        client.once('close', () => upstream.destroy());
        upstream.once('close', () => client.destroy());
      });
    };
    tryBackend(0);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
