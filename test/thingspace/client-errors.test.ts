import { afterEach, describe, expect, it } from '@jest/globals';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import {
  ThingSpaceAbortError,
  ThingSpaceAuthError,
  ThingSpaceClient,
  type ThingSpaceError,
  type ThingSpaceLogger,
  ThingSpaceNetworkError,
  ThingSpaceRateLimitError,
  ThingSpaceRequestError,
  ThingSpaceResponseError,
  ThingSpaceServerError,
  ThingSpaceTimeoutError,
  ThingSpaceValidationError,
} from '../../src/thingspace/index.js';
import { FAKE_SECRETS, type FakeHandler, type FakeThingSpace, json, startFake } from './fake-thingspace.js';
import { failure as failureOf } from '../harness/failure.js';

const ACTIVATE = '/m2m/v1/devices/actions/activate';
const LIST = '/m2m/v1/devices/actions/list';
const activateRequest = {
  devices: [{ deviceIds: [{ kind: 'imei', id: '990013907835573' }] }],
  servicePlan: 'plan',
  mdnZipCode: '98801',
};

let fake: FakeThingSpace | undefined;
/** A stall that does not keep jest alive after the test. */
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms).unref());
const logLines: string[] = [];
const logger: ThingSpaceLogger = {
  debug: (m, meta) => logLines.push(`${m} ${JSON.stringify(meta)}`),
  info: (m, meta) => logLines.push(`${m} ${JSON.stringify(meta)}`),
  warn: (m, meta) => logLines.push(`${m} ${JSON.stringify(meta)}`),
};

afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function clientFor(handler: FakeHandler, timeouts = {}): Promise<ThingSpaceClient> {
  fake = await startFake(handler);
  return new ThingSpaceClient(
    { baseUrl: fake.baseUrl, ...FAKE_SECRETS, accountName: '0000000000-00001', timeouts },
    { logger },
  );
}

const failure = (call: Promise<unknown>) => failureOf<ThingSpaceError>(call);

/** Answers `path` with `answer`, leaving auth to the defaults. */
function on(path: string, answer: FakeHandler): FakeHandler {
  return (req, res) => (req.path === path ? answer(req, res) : undefined);
}

describe('client error paths (hand-made responses over real HTTP)', () => {
  it('400 with errorCode: a clear, non-retryable refusal carrying the code', async () => {
    const client = await clientFor(
      on(ACTIVATE, (_req, res) =>
        json(res, 400, { errorCode: 'REQUEST_FAILED.UnexpectedError', errorMessage: 'bad plan' }),
      ),
    );
    const error = await failure(client.activate(activateRequest));
    expect(error).toBeInstanceOf(ThingSpaceRequestError);
    expect(error).toMatchObject({
      status: 400,
      errorCode: 'REQUEST_FAILED.UnexpectedError',
      retryable: false,
      ambiguous: false,
    });
    expect(error.message).toBe('activate failed: HTTP 400 REQUEST_FAILED.UnexpectedError: bad plan');
  });

  it('429 with Retry-After seconds, and with an HTTP date', async () => {
    let n = 0;
    const client = await clientFor(
      on(ACTIVATE, (_req, res) =>
        json(
          res,
          429,
          { message: 'Too Many Requests' },
          {
            'retry-after': ++n === 1 ? '7' : new Date(Date.now() + 30_000).toUTCString(),
          },
        ),
      ),
    );
    const first = await failure(client.activate(activateRequest));
    expect(first).toBeInstanceOf(ThingSpaceRateLimitError);
    expect(first).toMatchObject({ status: 429, retryable: true, ambiguous: false, retryAfterMs: 7000 });
    expect(first.message).toBe('activate failed: HTTP 429: Too Many Requests');
    const second = await failure(client.activate(activateRequest));
    expect(second.retryAfterMs).toBeGreaterThan(25_000);
    expect(second.retryAfterMs).toBeLessThanOrEqual(30_000);
  });

  it.each([
    [500, true, false, true],
    [504, true, false, true],
    [502, false, true, false],
    [503, false, true, false],
  ])(
    'activate HTTP %i: ambiguous=%s retryable=%s; a list call is retryable either way',
    async (status, ambiguous, retryable, listAmbiguous) => {
      const client = await clientFor((req, res) => {
        if (req.path === ACTIVATE || req.path === LIST)
          json(res, status, { errorCode: 'Server.ERROR', errorMessage: 'x' });
      });
      const error = await failure(client.activate(activateRequest));
      expect(error).toBeInstanceOf(ThingSpaceServerError);
      expect(error).toMatchObject({ status, ambiguous, retryable });
      const listError = await failure(client.listDevices());
      expect(listError).toMatchObject({ status, ambiguous: listAmbiguous, retryable: true });
    },
  );

  it('non-JSON bodies (XML 403, HTML 502, empty 500) become typed errors with a short excerpt', async () => {
    const bodies: Record<string, [number, string, string]> = {
      '/m2m/v1/callbacks/0000000000-00001': [
        403,
        'application/xml',
        `<?xml version="1.0"?>\n<error><code>403</code>${'<pad/>'.repeat(100)}</error>`,
      ],
      [LIST]: [502, 'text/html', '<html><body><h1>502 Bad Gateway</h1></body></html>'],
      [ACTIVATE]: [500, 'text/plain', ''],
    };
    const client = await clientFor((req, res) => {
      const answer = bodies[req.path];
      if (!answer) return;
      res.writeHead(answer[0], { 'content-type': answer[1] });
      res.end(answer[2]);
    });
    const xml = await failure(client.listCallbacks());
    expect(xml).toBeInstanceOf(ThingSpaceAuthError);
    expect(xml).toMatchObject({ status: 403, retryable: false });
    expect(xml.message).toMatch(
      /^list callbacks failed: HTTP 403 \(non-JSON body: <\?xml version="1.0"\?> <error><code>403/,
    );
    expect(xml.message.length).toBeLessThan(250);
    const html = await failure(client.listDevices());
    expect(html).toMatchObject({ status: 502, retryable: true, ambiguous: false });
    expect(html.message).toBe(
      'list devices failed: HTTP 502 (non-JSON body: <html><body><h1>502 Bad Gateway</h1></body></html>)',
    );
    const empty = await failure(client.activate(activateRequest));
    expect(empty).toMatchObject({ status: 500, ambiguous: true, retryable: false });
    expect(empty.message).toBe('activate failed: HTTP 500 (empty body)');
  });

  it('a 2xx body that is not JSON or breaks the schema is an ambiguous response error', async () => {
    let n = 0;
    const client = await clientFor(
      on(ACTIVATE, (_req, res) => void (++n === 1 ? json(res, 200, { id: 'no requestId' }) : res.end('<ok/>'))),
    );
    const bad = await failure(client.activate(activateRequest));
    expect(bad).toBeInstanceOf(ThingSpaceResponseError);
    expect(bad).toMatchObject({ ambiguous: true, retryable: false });
    expect(bad.message).toBe('activate: unexpected response: requestId: is required');
    const xml = await failure(client.activate(activateRequest));
    expect(xml.message).toBe('activate: HTTP 200 with non-JSON body: <ok/>');
  });

  it('connection reset after the body was sent is ambiguous for activate', async () => {
    const client = await clientFor(on(ACTIVATE, (_req, res) => void res.socket?.destroy()));
    const error = await failure(client.activate(activateRequest));
    expect(error).toBeInstanceOf(ThingSpaceNetworkError);
    expect(error).toMatchObject({ ambiguous: true, retryable: false });
    expect(fake?.count(ACTIVATE)).toBe(1);
  });

  it('ECONNREFUSED is a clear refusal', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer();
      probe.listen(0, '127.0.0.1', () => {
        const { port: p } = probe.address() as AddressInfo;
        probe.close(() => resolve(p));
      });
    });
    const client = new ThingSpaceClient({ baseUrl: `http://127.0.0.1:${port}/api`, ...FAKE_SECRETS });
    const error = await failure(client.listDevices());
    expect(error).toBeInstanceOf(ThingSpaceNetworkError);
    expect(error).toMatchObject({ operation: 'oauth token', ambiguous: false, retryable: true });
    expect(error.message).toMatch(/ECONNREFUSED/);
  });

  it('a stalled response times out (ambiguous for activate), and the per-call timeout overrides the default', async () => {
    const client = await clientFor(
      on(ACTIVATE, async (_req, res) => {
        await sleep(1500);
        if (!res.destroyed) json(res, 200, { requestId: 'late' });
      }),
      { requestMs: 200 },
    );
    const started = Date.now();
    const error = await failure(client.activate(activateRequest));
    expect(error).toBeInstanceOf(ThingSpaceTimeoutError);
    expect(error).toMatchObject({ ambiguous: true, retryable: false });
    expect(Date.now() - started).toBeLessThan(1200);
    await expect(client.activate(activateRequest, { timeoutMs: 5000 })).resolves.toEqual({ requestId: 'late' });
  });

  it('an AbortSignal cancels a call in flight and a call not yet started', async () => {
    const client = await clientFor(
      on(LIST, async (_req, res) => {
        await sleep(2000);
        if (!res.destroyed) json(res, 200, { hasMoreData: false, devices: [] });
      }),
    );
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const started = Date.now();
    const error = await failure(client.listDevices({}, { signal: controller.signal }));
    expect(error).toBeInstanceOf(ThingSpaceAbortError);
    expect(error.retryable).toBe(false);
    expect(Date.now() - started).toBeLessThan(1500);
    const before = fake?.calls.length;
    const again = await failure(client.activate(activateRequest, { signal: controller.signal }));
    expect(again).toBeInstanceOf(ThingSpaceAbortError);
    expect(again.ambiguous).toBe(false);
    expect(fake?.calls.length).toBe(before);
  });

  it('refuses an invalid request before sending anything, naming path and rule', async () => {
    const client = await clientFor(() => undefined);
    const error = await failure(
      client.activate({ ...activateRequest, devices: [{ deviceIds: [{ kind: 'IMEI', id: '12345678901234567' }] }] }),
    );
    expect(error).toBeInstanceOf(ThingSpaceValidationError);
    expect(error.message).toBe(
      'activate: invalid request: devices[0].deviceIds[0].id: imei must be 1-16 decimal digits',
    );
    expect(fake?.calls).toHaveLength(0);

    // An account-scoped call with no account given and no default configured is refused the same way.
    const withoutAccount = new ThingSpaceClient({ baseUrl: fake!.baseUrl, ...FAKE_SECRETS }, { logger });
    const missing = await failure(withoutAccount.requestStatus('r', { accountName: undefined }));
    expect(missing).toBeInstanceOf(ThingSpaceValidationError);
    expect(missing.message).toBe('request status: accountName is required (no default configured)');
    expect(missing.retryable).toBe(false);
    expect(fake?.calls).toHaveLength(0);
  });
});

describe('paging edge cases', () => {
  const device = (cursor?: string) => ({
    deviceIds: [{ kind: 'IMEI', id: `35000000000000${cursor ?? 'x'}` }],
    extendedAttributes: cursor === undefined ? [] : [{ key: 'DeviceId', value: cursor }],
  });

  it('sends the DeviceId of the last device as the next largestDeviceIdSeen, and stops on 200', async () => {
    const client = await clientFor(
      on(LIST, (req, res) => {
        const seen = (JSON.parse(req.body) as { largestDeviceIdSeen?: number }).largestDeviceIdSeen;
        if (seen === undefined) json(res, 202, { hasMoreData: true, devices: [device('5'), device('9')] });
        else json(res, 200, { hasMoreData: false, devices: [device('12')] });
      }),
    );
    expect(await client.listDevices({ currentState: 'preactive' })).toHaveLength(3);
    const bodies = fake!.calls.filter((c) => c.path === LIST).map((c) => JSON.parse(c.body) as object);
    expect(bodies).toEqual([
      { accountName: '0000000000-00001', currentState: 'preactive' },
      { accountName: '0000000000-00001', currentState: 'preactive', largestDeviceIdSeen: 9 },
    ]);
  });

  it('refuses to loop when more data is announced without a moving cursor', async () => {
    const client = await clientFor(
      on(LIST, (_req, res) => json(res, 202, { hasMoreData: true, devices: [device('7')] })),
    );
    const stuck = await failure(client.listDevices());
    expect(stuck).toBeInstanceOf(ThingSpaceResponseError);
    expect(fake!.count(LIST)).toBe(2);
    await fake?.close();
    const noCursor = await clientFor(
      on(LIST, (_req, res) => json(res, 202, { hasMoreData: true, devices: [device()] })),
    );
    expect((await failure(noCursor.listDevices())).message).toMatch(/no new DeviceId extended attribute/);
  });
});

describe('client auth against hand-made answers', () => {
  it('re-fetches the bearer once on 401 fault 900901, then gives up with an auth error', async () => {
    const fault = { fault: { code: '900901', message: 'Invalid Credentials', description: 'Access failure' } };
    let rejections = 1;
    const client = await clientFor(on(LIST, (_req, res) => (rejections-- > 0 ? json(res, 401, fault) : undefined)));
    await expect(client.listDevices()).rejects.toMatchObject({ status: 404 }); // passed auth, reached the route
    expect(fake?.count('/ts/v1/oauth2/token')).toBe(2);
    expect(fake?.calls.filter((c) => c.path === LIST).map((c) => c.headers.authorization)).toEqual([
      'Bearer fake-bearer-token-1',
      'Bearer fake-bearer-token-2',
    ]);
    rejections = 100;
    const error = await failure(client.listDevices());
    expect(error).toBeInstanceOf(ThingSpaceAuthError);
    expect(error).toMatchObject({ status: 401, errorCode: '900901', retryable: false });
    expect(fake?.count('/ts/v1/oauth2/token')).toBe(3);
  });

  it('logs in again once on an expired session, then reports the code', async () => {
    const expired = { errorCode: 'UnifiedWebService.REQUEST_FAILED.SessionToken.Expired', errorMessage: 'expired' };
    let rejections = 1;
    const client = await clientFor(
      on(LIST, (_req, res) => (rejections-- > 0 ? json(res, 400, expired) : json(res, 200, { devices: [] }))),
    );
    await expect(client.listDevices()).resolves.toEqual([]);
    expect(fake?.count('/m2m/v1/session/login')).toBe(2);
    expect(fake?.calls.filter((c) => c.path === LIST).map((c) => c.headers['vz-m2m-token'])).toEqual([
      'fake-session-token-1',
      'fake-session-token-2',
    ]);
    rejections = 100;
    const error = await failure(client.listDevices());
    expect(error).toMatchObject({ status: 400, errorCode: expired.errorCode, retryable: false });
    expect(fake?.count('/m2m/v1/session/login')).toBe(3);
  });

  it('OAuth refusal is a non-retryable auth error and does not count as a failed session login', async () => {
    const client = await clientFor(
      on('/ts/v1/oauth2/token', (_req, res) =>
        json(res, 401, { error: 'invalid_client', error_description: 'Client authentication failed' }),
      ),
    );
    for (let i = 0; i < 3; i++) {
      const error = await failure(client.listDevices());
      expect(error).toBeInstanceOf(ThingSpaceAuthError);
      expect(error).toMatchObject({ operation: 'oauth token', errorCode: 'invalid_client', retryable: false });
    }
    expect((await client.loginGuardState()).failures).toBe(0);
    expect(fake?.count('/m2m/v1/session/login')).toBe(0);
  });

  it('sends Basic appKey:appSecret with grant_type=client_credentials, and bearer + session on M2M calls', async () => {
    const client = await clientFor(on(LIST, (_req, res) => json(res, 200, { devices: [] })));
    await client.listDevices();
    const [token, login, list] = fake!.calls;
    expect(token?.headers.authorization).toBe(
      `Basic ${Buffer.from('fake-app-key:fake-app-secret-3f9a').toString('base64')}`,
    );
    expect(token?.body).toBe('grant_type=client_credentials');
    expect(login?.headers.authorization).toBe('Bearer fake-bearer-token-1');
    expect(JSON.parse(login?.body ?? '')).toEqual({ username: 'fake-user', password: 'fake-password-77c1' });
    expect(list?.headers).toMatchObject({ 'content-type': 'application/json', 'vz-m2m-token': 'fake-session-token-1' });
    expect(JSON.parse(list?.body ?? '')).toEqual({ accountName: '0000000000-00001' });
  });
});

describe('secrets', () => {
  it('never appear in error messages or log lines, even when the server echoes them', async () => {
    logLines.length = 0;
    const echo: FakeHandler = (req, res) => {
      if (req.path === '/ts/v1/oauth2/token' || req.path === '/m2m/v1/session/login') return;
      const everything = `${JSON.stringify(req.headers)} ${req.body}`;
      if (req.path === LIST) json(res, 400, { errorCode: 'Echo.ERROR', errorMessage: everything });
      else if (req.path === ACTIVATE) json(res, 500, { errorCode: 'Echo.ERROR', errorMessage: everything });
      else {
        res.writeHead(403, { 'content-type': 'text/html' });
        res.end(`<html>${everything}</html>`);
      }
    };
    const client = await clientFor(echo);
    const errors = [
      await failure(client.listDevices()),
      await failure(client.activate(activateRequest)),
      await failure(
        client.registerCallback({
          name: 'CarrierService',
          url: 'https://hooks.example/cb',
          username: 'hook',
          password: 'hook-password-1',
        }),
      ),
    ];
    const basic = Buffer.from(`${FAKE_SECRETS.appKey}:${FAKE_SECRETS.appSecret}`).toString('base64');
    const secrets = [
      FAKE_SECRETS.appSecret,
      FAKE_SECRETS.password,
      'fake-bearer-token-1',
      'fake-session-token-1',
      'hook-password-1',
      basic,
    ];
    // The echo really contained them, so the test would notice a leak.
    expect(fake!.calls.some((c) => c.body.includes(FAKE_SECRETS.password))).toBe(true);
    expect(errors.map((e) => e.message).join('\n')).toMatch(/\[redacted\]/);
    const visible = [
      ...errors.flatMap((e) => [e.message, e.bodyExcerpt ?? '', JSON.stringify(e), String(e.stack)]),
      ...logLines,
    ].join('\n');
    for (const secret of secrets) expect(visible).not.toContain(secret);
  });

  it('config errors name the field, never the value', () => {
    expect(() => new ThingSpaceClient({ baseUrl: 'not a url', ...FAKE_SECRETS, password: '' })).toThrow(
      'invalid ThingSpace config: baseUrl: baseUrl must be an http(s) URL; password: password must not be empty',
    );
    expect(
      () => new ThingSpaceClient({ baseUrl: 'http://x', ...FAKE_SECRETS, maxConsecutiveLoginFailures: 5 }),
    ).toThrow(/maxConsecutiveLoginFailures must be at most 4/);
    try {
      new ThingSpaceClient({ baseUrl: 'ftp://x', ...FAKE_SECRETS });
    } catch (error) {
      expect(String(error)).not.toContain(FAKE_SECRETS.appSecret);
    }
  });
});
