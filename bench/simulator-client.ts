/**
 * What the simulator-alone benchmarks (simulator-delivery.ts, simulator-load.ts) share: a bare callback listener in a
 * process of its own, so that it does not share the simulator's event loop, and a ThingSpace session on the
 * simulator's default account with that listener registered for CarrierService callbacks.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import got, { type Got } from 'got';
import { DEFAULT_ACCOUNT, DEFAULT_APP, DEFAULT_USER } from '../src/simulator/index.js';

const LISTENER = `
const http = require('node:http');
let n = 0;
const server = http.createServer((req, res) => { req.resume(); req.on('end', () => { n++; res.statusCode = 200; res.end(); }); });
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
process.on('SIGTERM', () => { console.error('listener received ' + n); process.exit(0); });
`;

export interface ChildListener {
  url: string;
  stop(): Promise<void>;
}

export async function startChildListener(): Promise<ChildListener> {
  const listener = spawn(process.execPath, ['-e', LISTENER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [portLine] = (await once(listener.stdout, 'data')) as [Buffer];
  return {
    url: `http://127.0.0.1:${portLine.toString().trim()}/callbacks`,
    stop: async () => {
      listener.kill('SIGTERM');
      await once(listener, 'exit');
    },
  };
}

export interface SimulatorSession {
  client: Got;
  /** The bearer and session headers every m2m call needs. */
  headers: Record<string, string>;
}

export async function openSimulatorSession(simulatorUrl: string, listenerUrl: string): Promise<SimulatorSession> {
  const client = got.extend({ prefixUrl: simulatorUrl, responseType: 'json', retry: { limit: 0 } });
  const basic = Buffer.from(`${DEFAULT_APP.appKey}:${DEFAULT_APP.appSecret}`).toString('base64');
  const { access_token } = await client
    .post('ts/v1/oauth2/token', {
      headers: { authorization: `Basic ${basic}` },
      form: { grant_type: 'client_credentials' },
    })
    .json<{ access_token: string }>();
  const auth = { authorization: `Bearer ${access_token}` };
  const { sessionToken } = await client
    .post('m2m/v1/session/login', { headers: auth, json: DEFAULT_USER })
    .json<{ sessionToken: string }>();
  const headers = { ...auth, 'vz-m2m-token': sessionToken };
  await client.post(`m2m/v1/callbacks/${DEFAULT_ACCOUNT}`, {
    headers,
    json: { name: 'CarrierService', url: listenerUrl, username: 'bench', password: 'bench' },
  });
  return { client, headers };
}
