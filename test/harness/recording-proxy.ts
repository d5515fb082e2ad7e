/**
 * A pass-through HTTP proxy for tests that must see what crosses a wire they do not own: the tokens ThingSpace
 * hands a worker process, or the callbacks the simulator sends a webhook process. A JSON request body may be
 * rewritten on the way (e.g. to give each device a credential password of its own).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordingProxy {
  url: string;
  /** Every response body that was JSON, parsed, in order. */
  responses: unknown[];
  close(): Promise<void>;
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'host']);

export async function startRecordingProxy(
  target: string,
  rewriteRequest: (body: unknown) => unknown = (body) => body,
): Promise<RecordingProxy> {
  const responses: unknown[] = [];
  const server: Server = createServer((request, reply) => {
    void (async () => {
      let body: Buffer | string = await readBody(request);
      if (body.length > 0) {
        try {
          body = JSON.stringify(rewriteRequest(JSON.parse(body.toString('utf8'))));
        } catch {
          // Not JSON: forwarded as it came.
        }
      }
      const headers = Object.fromEntries(
        Object.entries(request.headers).filter(([name]) => !HOP_BY_HOP.has(name)) as [string, string][],
      );
      try {
        const response = await fetch(`${target}${request.url ?? ''}`, {
          method: request.method ?? 'GET',
          headers,
          ...(request.method !== 'GET' && request.method !== 'HEAD' && { body }),
        });
        const text = await response.text();
        try {
          responses.push(JSON.parse(text));
        } catch {
          // Not JSON: nothing to record.
        }
        const out = Object.fromEntries([...response.headers].filter(([name]) => !HOP_BY_HOP.has(name)));
        reply.writeHead(response.status, out).end(text);
      } catch {
        // The target is down: the sender sees what it would see without the proxy, a broken connection.
        reply.destroy();
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    responses,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
