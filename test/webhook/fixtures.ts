/**
 * Callback bodies as ThingSpace sends them (shapes from the activate documentation and the simulator), and a
 * webhook started on a free port with its log lines captured.
 */
import { Writable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import { createWebhook, type SignalTarget, type Webhook, type WebhookOptions } from '../../src/webhook/index.js';

export const LISTENER = { username: 'cb-user', password: 'cb-listener-secret-7f3a' } as const;
export const DEVICE_PASSWORD = 'device-secret-9c1e';

export interface TestDevice {
  imei: string;
  iccid: string;
}

export const testDevice = (n: number): TestDevice => ({
  imei: `35${String(n).padStart(13, '0')}`,
  iccid: `8914${String(n).padStart(16, '0')}`,
});

export function carrierBody(requestId: string, device: TestDevice, extra: Record<string, unknown> = {}) {
  return {
    ...LISTENER,
    requestId,
    deviceIds: [
      { id: device.imei, kind: 'IMEI' },
      { id: device.iccid, kind: 'ICCID' },
    ],
    deviceResponse: {
      activateResponse: {
        deviceIds: [
          { id: `50${device.imei.slice(-8)}`, kind: 'mdn' },
          { id: device.iccid, kind: 'iccId' },
        ],
        ipAddress: '10.224.48.88',
        state: 'Active',
        servicePlan: '4G-IoT-1GB',
        featureCodes: [],
        deviceCredential: { username: `50${device.imei.slice(-8)}@vzw3g.com`, password: DEVICE_PASSWORD },
      },
    },
    status: 'Success',
    callbackCount: 1,
    maxCallbackThreshold: 4,
    ...extra,
  };
}

export function niddBody(requestId: string, device: TestDevice, status = 'ConfigCreated') {
  return {
    ...LISTENER,
    requestId,
    niddResponse: {
      niddConfigResponse: {
        accountName: '0868924207-00001',
        deviceIds: [
          { id: `8904${device.imei}`, kind: 'EID' },
          { id: device.imei, kind: 'IMEI' },
        ],
        ...(status !== 'ConfigCreated' && { reason: 'Not CatM or NBIoT Device' }),
      },
    },
    status,
    callbackCount: 1,
    maxCallbackThreshold: 4,
  };
}

export interface RunningWebhook {
  webhook: Webhook;
  url: string;
  logs: string[];
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<{ status: number; body: unknown }>;
  close(): Promise<void>;
}

export async function startWebhook(
  backend: { client: Client } | { target: SignalTarget },
  settings: Partial<WebhookOptions['settings']> = {},
  now?: () => number,
): Promise<RunningWebhook> {
  const logs: string[] = [];
  const logStream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const webhook = await createWebhook({
    settings: { credentials: LISTENER, ...settings },
    defaultMetrics: false,
    logStream,
    ...backend,
    ...(now && { now }),
  });
  await webhook.app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(webhook.app.server.address() as AddressInfo).port}`;
  return {
    webhook,
    url,
    logs,
    async post(path, body, headers = {}) {
      const res = await fetch(`${url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // Some answers (413 from the parser) may have no JSON body; the text is enough for assertions.
      }
      return { status: res.status, body: parsed };
    },
    close: () => webhook.close(),
  };
}

/** The sum of the Prometheus samples of `name` whose labels include `labels`. */
export async function metricValue(webhook: Webhook, name: string, labels: Record<string, string> = {}) {
  const metric = await webhook.metrics.registry.getSingleMetric(name)?.get();
  let sum = 0;
  for (const sample of metric?.values ?? []) {
    const sampleLabels = sample.labels as Record<string, unknown>;
    if (Object.entries(labels).every(([k, value]) => sampleLabels[k] === value)) sum += sample.value;
  }
  return sum;
}
