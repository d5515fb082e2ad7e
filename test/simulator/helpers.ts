import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FAST_SIMULATOR as FAST } from '../harness/activation.js';
import got, { type Got, type Response } from 'got';
import {
  DEFAULT_ACCOUNT,
  DEFAULT_APP,
  DEFAULT_USER,
  startSimulator,
  type RunningSimulator,
  type SeedDevice,
  type SimulatorOptions,
  type SimulatorSeed,
} from '../../src/simulator/index.js';

export { DEFAULT_ACCOUNT, DEFAULT_APP, DEFAULT_USER };

/** got with no retries and no throwing: tests look at every status code themselves. */
export const http: Got = got.extend({ throwHttpErrors: false, retry: { limit: 0 }, responseType: 'json' });

export interface ApiSession {
  sim: RunningSimulator;
  bearer: string;
  session: string;
  post<T = unknown>(path: string, json?: unknown, headers?: Record<string, string>): Promise<Response<T>>;
  get<T = unknown>(path: string): Promise<Response<T>>;
  del<T = unknown>(path: string): Promise<Response<T>>;
  admin<T = unknown>(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    path: string,
    json?: unknown,
  ): Promise<Response<T>>;
}

export async function token(sim: RunningSimulator, appKey = DEFAULT_APP.appKey, appSecret = DEFAULT_APP.appSecret) {
  return http.post<{ access_token: string; token_type: string; expires_in: number; scope: string; error?: string }>(
    `${sim.url}/ts/v1/oauth2/token`,
    {
      headers: { authorization: `Basic ${Buffer.from(`${appKey}:${appSecret}`).toString('base64')}` },
      form: { grant_type: 'client_credentials' },
    },
  );
}

export async function login(sim: RunningSimulator, bearer: string, username: string, password: string) {
  return http.post<{ sessionToken: string; expiresIn?: number; errorCode?: string }>(
    `${sim.url}/m2m/v1/session/login`,
    { headers: { authorization: `Bearer ${bearer}` }, json: { username, password } },
  );
}

/** A simulator with a logged-in session, plus helpers that send both tokens. */
export async function openSession(options: SimulatorOptions = {}): Promise<ApiSession> {
  const sim = await startSimulator({ ...options, config: { ...FAST, ...options.config } });
  const bearer = (await token(sim)).body.access_token;
  const session = (await login(sim, bearer, DEFAULT_USER.username, DEFAULT_USER.password)).body.sessionToken;
  const headers = () => ({ authorization: `Bearer ${bearer}`, 'vz-m2m-token': session });
  return {
    sim,
    bearer,
    session,
    post: <T>(path: string, json?: unknown, extra?: Record<string, string>) =>
      http.post<T>(`${sim.url}${path}`, { headers: { ...headers(), ...extra }, json }),
    get: <T>(path: string) => http.get<T>(`${sim.url}${path}`, { headers: headers() }),
    del: <T>(path: string) => http.delete<T>(`${sim.url}${path}`, { headers: headers() }),
    admin: <T>(method: string, path: string, json?: unknown) =>
      http<T>(`${sim.origin}/admin${path}`, {
        method: method as 'GET',
        responseType: 'json',
        headers: { authorization: `Bearer ${FAST.adminToken}` },
        ...(json === undefined ? {} : { json }),
      }),
  };
}

export interface Received {
  path: string;
  body: Record<string, unknown>;
}

export interface Listener {
  url: string;
  received: Received[];
  close(): Promise<void>;
}

/** A bare callback listener; `answer` picks the status code for each callback (200 by default). */
export async function startListener(answer: (body: Record<string, unknown>, n: number) => number = () => 200) {
  const received: Received[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      received.push({ path: req.url ?? '', body });
      res.statusCode = answer(body, received.length);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  } satisfies Listener;
}

export const activateBody = (devices: { kind: string; id: string }[][], extra: Record<string, unknown> = {}) => ({
  devices: devices.map((deviceIds) => ({ deviceIds })),
  accountName: DEFAULT_ACCOUNT,
  servicePlan: '4G-IoT-1GB',
  mdnZipCode: '98801',
  ...extra,
});

/** The IMEI and ICCID pair of a device, as an activate request names it. */
export const pair = (deviceIds: { kind: string; id: string }[]) =>
  deviceIds.filter((d) => /^(imei|iccid)$/i.test(d.kind)).map((d) => ({ kind: d.kind.toLowerCase(), id: d.id }));

/** A seed with the default credentials and exactly the given devices. */
export function seedOf(devices: SeedDevice[]): SimulatorSeed {
  return {
    apps: [DEFAULT_APP],
    users: [{ ...DEFAULT_USER, accountNames: [DEFAULT_ACCOUNT] }],
    accounts: [DEFAULT_ACCOUNT],
    devices,
  };
}

/** A 4G (IMEI+ICCID) or NB-IoT (plus EID) device with predictable identifiers built from `n`. */
export function device(n: number, extra: Partial<SeedDevice> = {}): SeedDevice {
  const serial = String(n).padStart(6, '0');
  const deviceIds = [
    { kind: 'imei', id: `35000000${serial}1` },
    { kind: 'iccid', id: `891480000000${serial}12` },
  ];
  if (extra.type === 'NB-IoT') deviceIds.push({ kind: 'eid', id: `890490320000000000000000${serial}00` });
  return { accountName: DEFAULT_ACCOUNT, deviceIds, state: 'pre-active', servicePlan: '4G-IoT-1GB', ...extra };
}

/** Registers `listener` for both callback services of the default account, with echoed credentials. */
export async function registerListener(api: ApiSession, listener: Listener): Promise<void> {
  for (const name of ['CarrierService', 'NiddService']) {
    const res = await api.post(`/m2m/v1/callbacks/${DEFAULT_ACCOUNT}`, {
      name,
      url: `${listener.url}/${name}`,
      username: 'cb-user',
      password: 'cb-pass',
    });
    if (res.statusCode !== 200) throw new Error(`registering ${name} answered ${res.statusCode}`);
  }
}

/** The seed device's IMEI (generated and hand-made seed devices name it first). */
export const imeiOf = (d: SeedDevice) => d.deviceIds[0]!.id;

/** The IMEI a callback names, CarrierService or NiddService. */
export const sentImei = (body: Record<string, unknown>) => {
  const ids = (body.deviceIds ??
    (body.niddResponse as { niddConfigResponse: { deviceIds: unknown } }).niddConfigResponse.deviceIds) as {
    kind: string;
    id: string;
  }[];
  return ids.find((d) => d.kind.toLowerCase() === 'imei')!.id;
};
