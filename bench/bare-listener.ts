/**
 * The bare node:http callback listener both baselines use: read the body, parse the JSON, hand it over, answer 200.
 * No checks beyond what JSON.parse does, so it is the floor any real webhook is compared with.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface BareListener {
  port: number;
  close(): Promise<void>;
}

export function startBareListener(onBody: (body: unknown) => void, port = 0): Promise<BareListener> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        res.writeHead(400).end();
        return;
      }
      onBody(body);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"result":"ok"}');
    });
  });
  // Senders keep connections open between callbacks; the default 5 s would make them reconnect mid-run.
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve) =>
    server.listen(port, '127.0.0.1', () =>
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      }),
    ),
  );
}
