import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A tiny hand-written ThingSpace for responses the simulator does not produce on purpose (XML gateway pages,
 * resets, stalls). It issues known tokens, so tests can prove none of them leaks.
 */
export interface FakeRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export type FakeHandler = (req: FakeRequest, res: ServerResponse) => void | Promise<void>;

export interface FakeThingSpace {
  baseUrl: string;
  calls: FakeRequest[];
  count(path: string): number;
  close(): Promise<void>;
}

export const FAKE_SECRETS = {
  appKey: 'fake-app-key',
  appSecret: 'fake-app-secret-3f9a',
  username: 'fake-user',
  password: 'fake-password-77c1',
};

export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** Default token and login answers; `handler` sees every request first and may answer any of them itself. */
export async function startFake(handler: FakeHandler): Promise<FakeThingSpace> {
  const calls: FakeRequest[] = [];
  let tokens = 0;
  let sessions = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const fake: FakeRequest = {
        method: req.method ?? 'GET',
        path: (req.url ?? '/').replace(/^\/api/, ''),
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      calls.push(fake);
      void (async () => {
        await handler(fake, res);
        if (res.headersSent || res.destroyed) return;
        if (fake.path === '/ts/v1/oauth2/token') {
          json(res, 200, { access_token: `fake-bearer-token-${++tokens}`, token_type: 'Bearer', expires_in: 3600 });
        } else if (fake.path === '/m2m/v1/session/login') {
          json(res, 200, { sessionToken: `fake-session-token-${++sessions}` });
        } else {
          json(res, 404, { errorCode: 'Test.NOT_HANDLED', errorMessage: fake.path });
        }
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/api`,
    calls,
    count: (path) => calls.filter((c) => c.path === path).length,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
