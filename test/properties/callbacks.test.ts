/**
 * Generated callback bodies posted over real HTTP, in bulk, to a real webhook (createWebhook on a free port) whose
 * Temporal target records the signals. Valid bodies (kinds in any case, unknown fields, nulls where ThingSpace
 * sends them) must be acknowledged; a client's mistake must get 400 naming the field, or 401 for the echoed
 * credentials, never a 5xx; and the webhook must stay up throughout.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { CallbackRecord } from '../../src/activation/model.js';
import type { SignalTarget } from '../../src/webhook/index.js';
import { DEVICE_PASSWORD, LISTENER, metricValue, startWebhook, type RunningWebhook } from '../webhook/fixtures.js';
import {
  DIGITS,
  LETTERS,
  cases,
  describeCase,
  mutation,
  over,
  refusalProblems,
  seed,
  type Case,
  type Mutation,
} from './cases.js';

const BODIES = 10_000;
const PER_RUN = 100;

type Body = Record<string, unknown>;
type Route = '/callbacks/carrier-service' | '/callbacks/nidd-service' | '/callbacks';
interface Post {
  route: Route;
  service: 'CarrierService' | 'NiddService';
  body: Body;
  /** What the body is sent as: JSON, or text that is not JSON, or a JSON value that is not an object. */
  raw?: string;
}

const oneOf = <T>(...values: T[]) => fc.constantFrom(...values);
const anyCase = (word: string) =>
  fc
    .array(fc.boolean(), { minLength: word.length, maxLength: word.length })
    .map((upper) => [...word].map((ch, i) => (upper[i] ? ch.toUpperCase() : ch)).join(''));
const id = over(DIGITS, 6, 20);
const deviceIds = fc.array(
  fc
    .tuple(oneOf('imei', 'iccId', 'eid', 'mdn', 'msisdn', 'imsi', 'vendorSerial'), id)
    .chain(([kind, value]) => anyCase(kind).map((k) => ({ kind: k, id: value }))),
  { minLength: 1, maxLength: 3 },
);
const maybeNull = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: null });
const extra = fc.dictionary(
  over(LETTERS, 3, 10).map((k) => `x${k}`),
  fc.jsonValue({ maxDepth: 2 }),
  { maxKeys: 2 },
);
const requestId = over(`${LETTERS}${DIGITS}-`, 1, 36);
const count = fc.integer({ min: 0, max: 10 });

const carrier = fc
  .record({
    requestId,
    deviceIds,
    success: fc.boolean(),
    assigned: deviceIds,
    ip: maybeNull(oneOf('10.224.48.88', '')),
    status: oneOf('Success', 'SUCCESS', 'Failed', 'FAILED', 'Error', 'Pending', 'weird'),
    callbackCount: maybeNull(count),
    extra,
  })
  .map((c): Post => ({
    route: '/callbacks/carrier-service',
    service: 'CarrierService',
    body: {
      ...c.extra,
      ...LISTENER,
      requestId: c.requestId,
      deviceIds: c.deviceIds,
      deviceResponse: {
        activateResponse: {
          deviceIds: c.assigned,
          ipAddress: c.ip,
          state: c.success ? 'Active' : 'Deactive',
          servicePlan: '4G-IoT-1GB',
          featureCodes: [],
          deviceCredential: { username: 'u@vzw3g.com', password: DEVICE_PASSWORD },
        },
      },
      ...(!c.success && { faultResponse: { faultcode: 'REQUEST_FAILED', faultstring: 'not eligible' } }),
      status: c.status,
      callbackCount: c.callbackCount,
      maxCallbackThreshold: 4,
    },
  }));

const nidd = fc
  .record({
    requestId,
    topIds: fc.option(deviceIds, { nil: undefined }),
    configIds: deviceIds,
    reason: fc.option(fc.string(), { nil: undefined }),
    status: oneOf('ConfigCreated', 'ConfigFailed', 'CONFIGCREATED'),
    extra,
  })
  .map((c): Post => ({
    route: '/callbacks/nidd-service',
    service: 'NiddService',
    body: {
      ...c.extra,
      ...LISTENER,
      requestId: c.requestId,
      ...(c.topIds && { deviceIds: c.topIds }),
      niddResponse: {
        niddConfigResponse: { accountName: '0868924207-00001', deviceIds: c.configIds, reason: c.reason },
      },
      status: c.status,
      callbackCount: 1,
    },
  }));

/** Either service, on its own route or on `/callbacks`, which tells them apart by body. */
const validPost = fc
  .tuple(fc.oneof(carrier, nidd), fc.boolean())
  .map(([post, shared]) => (shared ? { ...post, route: '/callbacks' as const } : post));

// Mutations return the path the 400 must name; the credential ones return 'unauthorized', and the ones that make
// the body something other than a JSON object return '(root)' or 'malformed_json'.

const get = (body: Body, path: (string | number)[]) =>
  path.reduce<unknown>((v, k) => (v as Record<string | number, unknown> | undefined)?.[k], body);
const carrierOnly = (post: Post) => post.service === 'CarrierService';

const BAD_FIELDS: [string, (post: Post) => (string | number)[] | undefined, unknown[]][] = [
  ['requestId', () => ['requestId'], ['', 42, null, undefined, {}]],
  ['status', () => ['status'], [undefined, 7, null, ['Success']]],
  ['callbackCount', () => ['callbackCount'], [-1, 1.5, '1']],
  ['maxCallbackThreshold', () => ['maxCallbackThreshold'], [-4, 'four']],
  ['deviceIds', (p) => (carrierOnly(p) ? ['deviceIds'] : undefined), [[], undefined, null, 'imei:1', {}]],
  ['deviceIds (nidd)', (p) => (carrierOnly(p) ? undefined : ['deviceIds']), ['imei:1', 5]],
  ['deviceIds[0].kind', () => ['deviceIds', 0, 'kind'], [5, undefined, null]],
  ['deviceIds[0].id', () => ['deviceIds', 0, 'id'], [35, undefined, null]],
  ['deviceIds[0]', () => ['deviceIds', 0], ['imei', 1, null]],
  ['deviceResponse', (p) => (carrierOnly(p) ? ['deviceResponse'] : undefined), ['Active', 3, []]],
  [
    'activateResponse.deviceIds[0].kind',
    (p) => (carrierOnly(p) ? ['deviceResponse', 'activateResponse', 'deviceIds', 0, 'kind'] : undefined),
    [5, null],
  ],
  [
    'activateResponse.ipAddress',
    (p) => (carrierOnly(p) ? ['deviceResponse', 'activateResponse', 'ipAddress'] : undefined),
    [10, {}],
  ],
  [
    'deviceCredential.password',
    (p) => (carrierOnly(p) ? ['deviceResponse', 'activateResponse', 'deviceCredential', 'password'] : undefined),
    [1234, {}],
  ],
  ['faultResponse', (p) => (carrierOnly(p) ? ['faultResponse'] : undefined), ['boom', 500]],
  [
    'niddConfigResponse',
    (p) => (carrierOnly(p) ? undefined : ['niddResponse', 'niddConfigResponse']),
    [undefined, 'x'],
  ],
  [
    'niddConfigResponse.deviceIds',
    (p) => (carrierOnly(p) ? undefined : ['niddResponse', 'niddConfigResponse', 'deviceIds']),
    [[], undefined, 'eid'],
  ],
  [
    'niddConfigResponse.reason',
    (p) => (carrierOnly(p) ? undefined : ['niddResponse', 'niddConfigResponse', 'reason']),
    [404, []],
  ],
];

function formatPath(path: (string | number)[]): string {
  return path.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? k : `.${k}`)).join('');
}

function setAt(body: Body, path: (string | number)[], value: unknown): boolean {
  const owner = get(body, path.slice(0, -1)) as Record<string | number, unknown> | undefined;
  if (typeof owner !== 'object' || owner === null) return false;
  const key = path[path.length - 1]!;
  if (value === undefined) delete owner[key];
  else owner[key] = value;
  return true;
}

const postMutations: fc.Arbitrary<Mutation<Post>>[] = [
  mutation('field', fc.record({ field: fc.nat(), value: fc.nat() }), (post, p) => {
    // Fields that do not apply to this service are skipped in favour of the first that does (requestId).
    const [, pathOf, values] = BAD_FIELDS[p.field % BAD_FIELDS.length]!;
    const path = pathOf(post) ?? ['requestId'];
    const value = (pathOf(post) ? values : BAD_FIELDS[0]![2])[p.value % values.length];
    return setAt(post.body, path, value) ? formatPath(path) : 'unchanged';
  }),
  mutation('all identifiers blank', oneOf('', '   '), (post, blank) => {
    const lists = carrierOnly(post)
      ? [post.body.deviceIds]
      : [post.body.deviceIds, get(post.body, ['niddResponse', 'niddConfigResponse', 'deviceIds'])];
    for (const list of lists)
      if (Array.isArray(list)) for (const d of list) if (d && typeof d === 'object') d.id = blank;
    // A Pending status is answered before the identifiers are looked at; this mutation is about the identifiers.
    if (typeof post.body.status === 'string' && post.body.status.toLowerCase() === 'pending')
      post.body.status = 'Failed';
    return 'deviceIds';
  }),
];

/** Broken in ways that decide the answer on their own, whatever else is wrong with the body. */
const overriding = fc.oneof(
  mutation('wrong password', oneOf('nope', '', LISTENER.password.toUpperCase()), (post: Post, pw) => {
    post.body.password = pw;
    return 'unauthorized';
  }),
  mutation('no username', fc.constant(null), (post: Post) => {
    delete post.body.username;
    return 'unauthorized';
  }),
  mutation('password not a string', oneOf<unknown>(123, null, [LISTENER.password]), (post: Post, pw) => {
    post.body.password = pw;
    return 'unauthorized';
  }),
  mutation(
    'not an object',
    oneOf('[]', '"callback"', '42', 'null', 'true', '[{"requestId":"r"}]'),
    (post: Post, raw) => {
      post.raw = raw;
      return '(root)';
    },
  ),
  mutation('not JSON', oneOf('', '{', 'requestId=r1', '{"requestId":}', '\u0000'), (post: Post, raw) => {
    post.raw = raw;
    return 'malformed_json';
  }),
);

type PostCase = Case<Post>;

/**
 * fastify's JSON parser refuses `__proto__` keys and `constructor.prototype` anywhere in a body (prototype-poisoning
 * guard): such a body is malformed to the webhook even when the schema would take it. ThingSpace sends neither.
 */
function poisoned(text: string): boolean {
  let found = false;
  JSON.parse(text, (key, value: unknown) => {
    if (key === '__proto__') found = true;
    if (key === 'constructor' && typeof value === 'object' && value !== null && 'prototype' in value) found = true;
    return value;
  });
  return found;
}

/**
 * The answer the oracle expects. A raw body replaces the object whatever else was done to it (the last one sent
 * wins); the credential check comes before the schema, so a bad pair means 401 even for a malformed object.
 */
function verdict(c: PostCase): { status: number; paths: PostCase['broken'] } {
  const broken = c.broken.filter((b) => b.path !== 'unchanged');
  const raw = [...broken].reverse().find((b) => b.path === '(root)' || b.path === 'malformed_json');
  if (raw) return { status: 400, paths: [raw] };
  if (poisoned(JSON.stringify(c.input.body))) {
    return { status: 400, paths: [{ rule: 'prototype poisoning', path: 'malformed_json' }] };
  }
  if (broken.some((b) => b.path === 'unauthorized')) return { status: 401, paths: [] };
  return { status: broken.length === 0 ? 200 : 400, paths: broken };
}

const signalled: CallbackRecord[][] = [];
const target: SignalTarget = {
  async send(_requestId, records) {
    signalled.push(records);
    return 'signalled';
  },
  async ready() {},
};

let hook: RunningWebhook;
beforeAll(async () => {
  // Thousands of the generated bodies carry wrong credentials from this one address: the per-client limit on failed
  // checks (test/webhook/security.test.ts) would turn their 401s into 429s.
  hook = await startWebhook({ target }, { batchWindowMs: 2, batchQuietMin: 1, authFailuresPerMinute: 1_000_000 });
});
afterAll(async () => {
  await hook.close();
});

async function send(
  post: Post,
): Promise<{ status: number; body: { error?: string; detail?: string; result?: string } }> {
  const response = await fetch(`${hook.url}${post.route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: post.raw ?? JSON.stringify(post.body),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, string>) };
}

describe('webhook against generated callback bodies (property, real HTTP)', () => {
  it(`acknowledges the valid ones of ${BODIES.toLocaleString('en')} bodies and refuses the rest with 4xx naming the field`, async () => {
    const tally = { acknowledged: 0, interim: 0, refused400: 0, refused401: 0 };
    const withOverride = fc.oneof(
      { weight: 5, arbitrary: fc.oneof(...postMutations) },
      { weight: 1, arbitrary: overriding },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(cases(validPost, withOverride), { minLength: PER_RUN, maxLength: PER_RUN }),
        async (batch) => {
          const answers = await Promise.all(batch.map((c) => send(c.input)));
          answers.forEach((answer, i) => {
            const c = batch[i]!;
            const want = verdict(c);
            const fail = (why: string) => {
              throw new Error(describeCase(c, `${why}: got ${answer.status} ${JSON.stringify(answer.body)}`));
            };
            if (answer.status >= 500) fail('5xx for a client’s mistake');
            if (answer.status !== want.status) fail(`expected ${want.status}`);
            if (want.status === 200) {
              if (answer.body.result === 'interim') tally.interim++;
              else if (answer.body.result === 'signalled') tally.acknowledged++;
              else fail('unexpected result');
              return;
            }
            if (want.status === 401) {
              tally.refused401++;
              return;
            }
            tally.refused400++;
            const detail = answer.body.detail ?? '';
            if (want.paths[0]?.path === 'malformed_json') {
              if (answer.body.error !== 'malformed_json') fail('expected malformed_json');
              return;
            }
            const problems = refusalProblems(detail, want.paths);
            if (problems.length > 0) fail(problems.join('; '));
          });
        },
      ),
      { numRuns: BODIES / PER_RUN, endOnFailure: true, seed },
    );
    console.info(`callback bodies: ${JSON.stringify(tally)}`);

    expect(tally.acknowledged).toBeGreaterThan(BODIES / 5);
    expect(tally.refused400).toBeGreaterThan(BODIES / 5);
    expect(tally.refused401).toBeGreaterThan(BODIES / 50);
    // Still up, nothing crashed on the way, and every acknowledged callback went out in a signal without a secret.
    expect((await fetch(`${hook.url}/healthz`)).status).toBe(200);
    expect(hook.logs.filter((line) => /unexpected error|"level":(50|60)/.test(line))).toEqual([]);
    expect(signalled.flat()).toHaveLength(tally.acknowledged);
    const history = JSON.stringify(signalled);
    expect(history).not.toContain(LISTENER.password);
    expect(history).not.toContain(DEVICE_PASSWORD);
    expect(await metricValue(hook.webhook, 'webhook_callbacks_received_total')).toBe(BODIES);
  }, 180_000);
});
