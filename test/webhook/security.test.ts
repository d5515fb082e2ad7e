/**
 * The webhook's defences that do not need Temporal: the requestId rule (it becomes part of a workflow ID and of log
 * lines), the per-client limit on failed credential checks, trusting the TLS proxy's X-Forwarded-For only when
 * told to, and the probes on their own listener.
 */
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import type { CallbackRecord } from '../../src/activation/model.js';
import { failureLimiter } from '../../src/webhook/auth.js';
import {
  createWebhook,
  webhookSettingsFromEnv,
  type SignalTarget,
  type Webhook,
  type WebhookOptions,
} from '../../src/webhook/index.js';
import { LISTENER, carrierBody, metricValue, testDevice } from './fixtures.js';

const CARRIER = '/callbacks/carrier-service';

const sent: { requestId: string; records: CallbackRecord[] }[] = [];
const target: SignalTarget = {
  send: async (requestId, records) => {
    sent.push({ requestId, records });
    return 'signalled';
  },
  ready: async () => {},
};

interface Running {
  webhook: Webhook;
  url: string;
  logs: string[];
  post(body: unknown, headers?: Record<string, string>): Promise<{ status: number; headers: Headers; body: unknown }>;
}

let running: Webhook | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
  sent.length = 0;
});

async function start(
  settings: Partial<WebhookOptions['settings']> = {},
  extra: Pick<WebhookOptions, 'authNow' | 'internalListener'> = {},
): Promise<Running> {
  const logs: string[] = [];
  const { Writable } = await import('node:stream');
  const logStream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const webhook = await createWebhook({
    settings: { credentials: LISTENER, batchWindowMs: 1, ...settings },
    defaultMetrics: false,
    logStream,
    target,
    ...extra,
  });
  running = webhook;
  await webhook.app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(webhook.app.server.address() as AddressInfo).port}`;
  return {
    webhook,
    url,
    logs,
    async post(body, headers = {}) {
      const res = await fetch(`${url}${CARRIER}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });
      return { status: res.status, headers: res.headers, body: await res.json() };
    },
  };
}

describe('prototype poisoning', () => {
  // The JSON text of a genuine callback, with `key` spliced in as written (escapes included).
  const withKey = (key: string, value: string) => {
    const good = JSON.stringify(carrierBody('r-proto', testDevice(1)));
    return `{"${key}": ${value}, ${good.slice(1)}`;
  };
  const postText = async (url: string, text: string) => {
    const res = await fetch(`${url}${CARRIER}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: text,
    });
    return { status: res.status, body: (await res.json()) as unknown };
  };

  it('refuses __proto__ and constructor.prototype keys, written plainly or with \\u escapes, as malformed JSON', async () => {
    const hook = await start();
    const poisoned = [
      withKey('__proto__', '{"isAdmin": true}'),
      withKey('\\u005f_proto__', '{"isAdmin": true}'),
      withKey('constructor', '{"prototype": {"isAdmin": true}}'),
      withKey('c\\u006fnstructor', '{"prototype": {"isAdmin": true}}'),
    ];
    for (const text of poisoned) {
      expect({ text, ...(await postText(hook.url, text)) }).toMatchObject({
        text,
        status: 400,
        body: { error: 'malformed_json' },
      });
    }
    expect(sent).toEqual([]);
  });

  it('accepts a harmless constructor key and \\u escapes elsewhere in the body', async () => {
    const hook = await start();
    expect(await postText(hook.url, withKey('constructor', '"a string"'))).toEqual({
      status: 200,
      body: { result: 'signalled' },
    });
    expect(await postText(hook.url, withKey('note', '"caf\\u00e9"'))).toEqual({
      status: 200,
      body: { result: 'signalled' },
    });
    expect(sent.flatMap((s) => s.records)).toHaveLength(2);
  });
});

describe('requestId rule', () => {
  const RULE = "requestId: must be 1 to 128 characters from A-Z, a-z, 0-9, '.', '_', ':' and '-'";

  it('refuses ids that are not plain tokens with 400 naming the field and rule, before any signal or log of the id', async () => {
    const hook = await start({ logLevel: 'debug' });
    const hostile = [
      'r-1\n{"level":50,"msg":"forged log line"}',
      '../../thingspace-job-x',
      'a'.repeat(129),
      'has space',
      'ünïcode',
      'tab\there',
    ];
    for (const requestId of hostile) {
      const answer = await hook.post(carrierBody(requestId, testDevice(1)));
      expect({ requestId, status: answer.status, body: answer.body }).toEqual({
        requestId,
        status: 400,
        body: { error: 'invalid_body', detail: RULE },
      });
    }
    expect(sent).toEqual([]);
    const log = hook.logs.join('\n');
    expect(log).not.toContain('forged log line');
    expect(log).not.toContain('thingspace-job-x');
    expect(log).not.toContain('a'.repeat(129));
    expect(await metricValue(hook.webhook, 'webhook_callbacks_rejected_total', { reason: 'invalid_body' })).toBe(
      hostile.length,
    );
  });

  it('accepts ThingSpace UUIDs and ids up to the bound', async () => {
    const hook = await start();
    for (const requestId of ['595f5c44-c31c-4552-8670-020a1545a84d', 'a'.repeat(128), 'r.1_x:y-z']) {
      expect((await hook.post(carrierBody(requestId, testDevice(2)))).status).toBe(200);
    }
    expect(sent.map((s) => s.requestId).sort()).toEqual(
      ['595f5c44-c31c-4552-8670-020a1545a84d', 'a'.repeat(128), 'r.1_x:y-z'].sort(),
    );
  });
});

describe('failed credential checks per client', () => {
  const wrong = (n: number) => ({ ...carrierBody('r-auth', testDevice(n)), password: `guess-${n}` });

  it('answers 429 without checking once a client failed 10 times in its minute, then lets it try again', async () => {
    let now = 1_000_000;
    const hook = await start({}, { authNow: () => now });
    const statuses: number[] = [];
    for (let n = 0; n < 10; n++) statuses.push((await hook.post(wrong(n))).status);
    expect(statuses).toEqual(Array(10).fill(401));

    // Even the right password is not checked now: a guesser cannot tell a hit from a miss.
    const limited = await hook.post(carrierBody('r-auth', testDevice(11)));
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('60');
    expect(limited.body).toEqual({
      error: 'auth_rate_limited',
      detail: 'more than 10 failed credential checks a minute from this address; retry in 60 s',
    });
    now += 45_000;
    expect((await hook.post(wrong(12))).headers.get('retry-after')).toBe('15');
    expect(sent).toEqual([]);

    now += 15_000;
    expect((await hook.post(carrierBody('r-auth', testDevice(13)))).status).toBe(200);
    expect(await metricValue(hook.webhook, 'webhook_callbacks_rejected_total', { reason: 'unauthorized' })).toBe(10);
    expect(await metricValue(hook.webhook, 'webhook_callbacks_rejected_total', { reason: 'auth_rate_limited' })).toBe(
      2,
    );
  });

  it('counts per client behind a trusted proxy, and ignores X-Forwarded-For from an untrusted peer', async () => {
    const behindProxy = await start({ trustedProxyHops: 1, authFailuresPerMinute: 3 });
    const from = (ip: string) => ({ 'x-forwarded-for': ip });
    for (let n = 0; n < 3; n++) expect((await behindProxy.post(wrong(n), from('203.0.113.7'))).status).toBe(401);
    expect((await behindProxy.post(wrong(3), from('203.0.113.7'))).status).toBe(429);
    // Another client behind the same proxy (ThingSpace) is unaffected.
    expect((await behindProxy.post(carrierBody('r-ok', testDevice(4)), from('198.51.100.2'))).status).toBe(200);
    await running?.close();

    // Without trusted hops the header is the client's own claim: rotating it does not escape the limit.
    const direct = await start({ authFailuresPerMinute: 3 });
    for (let n = 0; n < 3; n++) expect((await direct.post(wrong(n), from(`203.0.113.${n}`))).status).toBe(401);
    expect((await direct.post(wrong(3), from('203.0.113.99'))).status).toBe(429);
  });

  it('bounds its memory: beyond maxClients, new clients share one entry', () => {
    let now = 0;
    const limiter = failureLimiter({ max: 2, maxClients: 3, now: () => now });
    for (const client of ['a', 'b', 'c']) limiter.recordFailure(client);
    for (const client of ['d', 'e']) limiter.recordFailure(client);
    expect(limiter.retryAfterSeconds('a')).toBeUndefined();
    expect(limiter.retryAfterSeconds('f')).toBe(60);
    now = 60_000;
    expect(limiter.retryAfterSeconds('f')).toBeUndefined();
    limiter.recordFailure('g');
    expect(limiter.retryAfterSeconds('g')).toBeUndefined();
  });
});

describe('probes on the internal listener', () => {
  it('keeps /metrics, /readyz and the liveness probes off the public port', async () => {
    const hook = await start({}, { internalListener: true });
    const internal = hook.webhook.internal!;
    await internal.listen({ host: '127.0.0.1', port: 0 });
    const internalUrl = `http://127.0.0.1:${(internal.server.address() as AddressInfo).port}`;
    for (const path of ['/metrics', '/readyz', '/healthz', '/livez']) {
      expect({ path, status: (await fetch(`${hook.url}${path}`)).status }).toEqual({ path, status: 404 });
      expect({ path, status: (await fetch(`${internalUrl}${path}`)).status }).toEqual({ path, status: 200 });
    }
    expect((await hook.post(carrierBody('r-probe', testDevice(1)))).status).toBe(200);
    expect(await (await fetch(`${internalUrl}/metrics`)).text()).toMatch(/webhook_callbacks_acknowledged_total/);

    await hook.webhook.close();
    await expect(fetch(`${internalUrl}/livez`)).rejects.toThrow();
  });

  it('serves them next to the callbacks when no internal listener is asked for', async () => {
    const hook = await start();
    expect(hook.webhook.internal).toBeUndefined();
    for (const path of ['/metrics', '/readyz', '/healthz', '/livez']) {
      expect({ path, status: (await fetch(`${hook.url}${path}`)).status }).toEqual({ path, status: 200 });
    }
  });
});

describe('settings', () => {
  const creds = { CALLBACK_USERNAME: 'u', CALLBACK_PASSWORD: 'a-real-password' };

  it('reads the internal port, trusted proxy hops and failed-check limit', () => {
    expect(webhookSettingsFromEnv(creds)).toMatchObject({
      internalPort: undefined,
      trustedProxyHops: 0,
      authFailuresPerMinute: 10,
    });
    expect(
      webhookSettingsFromEnv({
        ...creds,
        WEBHOOK_INTERNAL_PORT: '9464',
        WEBHOOK_TRUSTED_PROXY_HOPS: '1',
        WEBHOOK_AUTH_FAILURES_PER_MINUTE: '5',
      }),
    ).toMatchObject({ internalPort: 9464, trustedProxyHops: 1, authFailuresPerMinute: 5 });
    expect(() =>
      webhookSettingsFromEnv({ ...creds, WEBHOOK_INTERNAL_PORT: '0', WEBHOOK_TRUSTED_PROXY_HOPS: '-1' }),
    ).toThrow(
      'WEBHOOK_INTERNAL_PORT: must be an integer from 1 to 65535; WEBHOOK_TRUSTED_PROXY_HOPS: must be an integer from 0 to 10',
    );
  });

  it('refuses to start with the shipped example password, from the variable or the file', () => {
    expect(() => webhookSettingsFromEnv({ ...creds, CALLBACK_PASSWORD: 'change-me-too' })).toThrow(
      'CALLBACK_PASSWORD: is the shipped example value (it begins with "change-me"); choose your own',
    );
    const fromFile = () =>
      webhookSettingsFromEnv(
        { CALLBACK_USERNAME: 'u', CALLBACK_PASSWORD_FILE: '/run/secrets/callback_password' },
        () => 'change-me-callback-password\n',
      );
    expect(fromFile).toThrow('CALLBACK_PASSWORD_FILE: is the shipped example value');
    expect(() => webhookSettingsFromEnv({ ...creds, CALLBACK_PASSWORD: 'change-me-too' })).not.toThrow(/too/);
  });
});
