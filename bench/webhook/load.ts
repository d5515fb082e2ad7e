/**
 * The load generator both servers get: the same bodies, the same number of keep-alive connections, each sending
 * its next callback as soon as the previous one was answered (as ThingSpace's senders do).
 */
import { Pool } from 'undici';

export interface LoadResult {
  ok: number;
  failed: number;
  seconds: number;
  perSecond: number;
}

export async function runLoad(origin: string, path: string, bodies: readonly string[], concurrency: number) {
  const pool = new Pool(origin, { connections: concurrency, pipelining: 1, keepAliveTimeout: 60_000 });
  let next = 0;
  let ok = 0;
  let failed = 0;
  const started = performance.now();
  try {
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let i = next++; i < bodies.length; i = next++) {
          const res = await pool.request({
            path,
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: bodies[i],
          });
          await res.body.dump();
          if (res.statusCode >= 200 && res.statusCode < 300) ok++;
          else failed++;
        }
      }),
    );
  } finally {
    await pool.close();
  }
  const seconds = (performance.now() - started) / 1000;
  return { ok, failed, seconds, perSecond: ok / seconds } satisfies LoadResult;
}
