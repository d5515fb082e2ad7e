/**
 * The webhook's per-IP request rate limit: beyond it a caller gets 429 with Retry-After, counted like every other
 * refusal, while the default stays far above what ThingSpace sends.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { webhookSettingsFromEnv, type SignalTarget } from '../../src/webhook/index.js';
import { windowLimiter } from '../../src/webhook/limiter.js';
import { Pool } from 'undici';
import { carrierBody, metricValue, startWebhook, testDevice, type RunningWebhook } from './fixtures.js';

const CARRIER = '/callbacks/carrier-service';

const target: SignalTarget = {
  send: async () => 'signalled',
  ready: async () => {},
};

let hook: RunningWebhook | undefined;
afterEach(async () => {
  await hook?.close();
  hook = undefined;
});

describe('webhook rate limit', () => {
  it('answers 429 with Retry-After beyond WEBHOOK_RATE_LIMIT_PER_MINUTE, on any route', async () => {
    hook = await startWebhook({ target }, { batchWindowMs: 1, rateLimitPerMinute: 5 });
    const statuses: number[] = [];
    for (let n = 0; n < 5; n++) statuses.push((await hook.post(CARRIER, carrierBody('r-1', testDevice(n)))).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200]);

    const refused = await fetch(`${hook.url}${CARRIER}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(carrierBody('r-1', testDevice(6))),
    });
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(await refused.json()).toEqual({ error: 'rate_limited', detail: expect.stringMatching(/more than 5/) });
    expect((await fetch(`${hook.url}/healthz`)).status).toBe(429);
    expect(await metricValue(hook.webhook, 'webhook_callbacks_rejected_total', { reason: 'rate_limited' })).toBe(2);
  });

  it('lets a burst of a thousand callbacks from one address through by default', async () => {
    hook = await startWebhook({ target }, { batchWindowMs: 1 });
    const running = hook;
    const answers = await Promise.all(
      Array.from({ length: 1_000 }, (_, n) => running.post(CARRIER, carrierBody('r-2', testDevice(n)))),
    );
    expect(answers.filter((a) => a.status !== 200)).toEqual([]);
  });

  it('built without a limit, takes the env default: more than 60,000 requests from one address in a minute', async () => {
    // A scale test's webhook, built so, once refused 160,000 sends of a 100,000-device job with 60,000, the old
    // fallback here, until the simulator gave 40,000 callbacks up.
    hook = await startWebhook({ target }, { batchWindowMs: 1 });
    const pool = new Pool(hook.url, { connections: 16 });
    const statuses = new Map<number, number>();
    try {
      for (let sent = 0; sent <= 60_000; sent += 1_000) {
        const answers = await Promise.all(
          Array.from({ length: 1_000 }, () =>
            pool.request({ path: '/healthz', method: 'GET' }).then(async (r) => {
              await r.body.dump();
              return r.statusCode;
            }),
          ),
        );
        for (const status of answers) statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
    } finally {
      await pool.close();
    }
    expect(Object.fromEntries(statuses)).toEqual({ 200: 61_000 });
    // 61,000 requests over sockets: seconds on a quiet machine, over a minute on a busy one (a CI run).
  }, 180_000);

  it('counts each client in its own fixed window, from its first request to a minute later', () => {
    let now = 1_000_000;
    const limiter = windowLimiter({ max: 2, now: () => now });
    expect([limiter.hit('a'), limiter.hit('a'), limiter.hit('b')]).toEqual([undefined, undefined, undefined]);
    expect(limiter.hit('a')).toBe(60);
    now += 30_500;
    // Refused requests do not extend the window.
    expect([limiter.hit('a'), limiter.hit('a')]).toEqual([30, 30]);
    expect([limiter.hit('b'), limiter.hit('b')]).toEqual([undefined, 30]);
    now += 29_500;
    expect([limiter.hit('a'), limiter.hit('b')]).toEqual([undefined, undefined]);
  });

  it('reads WEBHOOK_RATE_LIMIT_PER_MINUTE, 2,000,000 when unset, and refuses what is not a positive integer', () => {
    const creds = { CALLBACK_USERNAME: 'u', CALLBACK_PASSWORD: 'p' };
    expect(webhookSettingsFromEnv(creds).rateLimitPerMinute).toBe(2_000_000);
    expect(webhookSettingsFromEnv({ ...creds, WEBHOOK_RATE_LIMIT_PER_MINUTE: '120' }).rateLimitPerMinute).toBe(120);
    expect(() => webhookSettingsFromEnv({ ...creds, WEBHOOK_RATE_LIMIT_PER_MINUTE: '0' })).toThrow(
      /WEBHOOK_RATE_LIMIT_PER_MINUTE: must be an integer/,
    );
  });
});
