import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import {
  buildDeviceKeyIndex,
  callbackOutcome,
  classifyErrorBody,
  deviceCursor,
  deviceKey,
  deviceKeys,
  DevicesListResponseSchema,
  deviceState,
  formatZodError,
  HistoryResponseSchema,
  matchDeviceKey,
  normalizeState,
  OAuthTokenResponseSchema,
  parseCallback,
  RequestStatusResponseSchema,
  safeParseCallback,
  SessionLoginResponseSchema,
  stripCallbackSecrets,
  summarizeCallback,
} from '../../src/thingspace/schemas/index.js';
import { fixture } from './fixtures.js';

describe('callbacks', () => {
  it('parses the seed CarrierService callback and summarises it', () => {
    const callback = parseCallback(fixture('carrier-service-callback.json'));
    expect(callback.service).toBe('CarrierService');
    expect(summarizeCallback(callback)).toEqual({
      requestId: '595f5c44-c31c-4552-8670-020a1545a84d',
      service: 'CarrierService',
      deviceKey: 'imei:352452060026934',
      deviceKeys: [
        'imei:352452060026934',
        'mdn:5096306081',
        'imsi:311480104434320',
        'iccid:89148000001024124378',
        'msisdn:13122379508',
        'min:2345958183',
      ],
      status: 'Success',
      outcome: 'success',
    });
  });

  it.each([
    ['nidd-service-callback-created.json', '3c5eef41-011c-4c20-8780-f4031180141b', 'success'],
    ['nidd-service-callback-failed.json', '4c5eef41-011c-2c20-8780-f4031180141b', 'failure'],
  ])('parses the seed NiddService callback %s', (name, requestId, outcome) => {
    const summary = summarizeCallback(parseCallback(fixture(name)));
    expect(summary).toMatchObject({
      requestId,
      service: 'NiddService',
      deviceKey: 'imei:9996201900000000000345',
      outcome,
    });
    expect(summary.deviceKeys).toContain('eid:99962019000000000000000000000002');
  });

  it('keeps unknown fields and tolerates mixed-case kinds and statuses', () => {
    const input = {
      ...fixture('carrier-service-callback.json'),
      status: 'FAILED',
      deviceIds: [{ id: '352452060026934', kind: 'Imei', extra: 1 }],
      faultResponse: { faultcode: 'X', faultstring: 'device not eligible' },
      vendorField: { nested: true },
    };
    const callback = parseCallback(input);
    expect(callback.body).toMatchObject({
      vendorField: { nested: true },
      faultResponse: { faultstring: 'device not eligible' },
    });
    expect(callback.body.deviceIds?.[0]).toEqual({ id: '352452060026934', kind: 'imei', extra: 1 });
    expect(summarizeCallback(callback).outcome).toBe('failure');
  });

  it.each([
    ['Success', 'success'],
    ['SUCCESS', 'success'],
    ['configcreated', 'success'],
    ['Failed', 'failure'],
    ['ConfigCreationFailed', 'failure'],
    ['pending', 'pending'],
    ['Mystery', 'unknown'],
  ] as const)('maps status %s to %s', (status, outcome) => {
    expect(callbackOutcome(status)).toBe(outcome);
  });

  it('rejects bodies without requestId or device, naming the path', () => {
    const carrier = safeParseCallback({
      ...fixture('carrier-service-callback.json'),
      requestId: undefined,
      deviceIds: [],
    });
    expect(carrier.success ? 'ok' : formatZodError(carrier.error)).toBe(
      'requestId: is required; deviceIds: deviceIds must name the device',
    );
    const nidd = fixture('nidd-service-callback-created.json');
    (nidd.niddResponse as { niddConfigResponse: { deviceIds?: unknown } }).niddConfigResponse.deviceIds = undefined;
    const result = safeParseCallback(nidd);
    expect(result.success ? 'ok' : formatZodError(result.error)).toBe(
      'niddResponse.niddConfigResponse.deviceIds: is required',
    );
    expect(safeParseCallback('not an object').success).toBe(false);
  });

  it('strips the echoed listener credentials and the device password, and only those', () => {
    const callback = parseCallback(fixture('carrier-service-callback.json'));
    if (callback.service !== 'CarrierService') throw new Error('expected a CarrierService callback');
    const stripped = stripCallbackSecrets(callback);
    const text = JSON.stringify(stripped);
    expect(text).not.toMatch(/"password"/);
    expect(text).not.toMatch(/"username":""/);
    expect(stripped.body.deviceResponse?.activateResponse?.deviceCredential).toEqual({
      username: '5096306081@vzw3g.com',
    });
    expect(stripped.body.requestId).toBe(callback.body.requestId);
    expect(JSON.stringify(callback)).toMatch(/"password"/); // the original is untouched
    expect(
      JSON.stringify(stripCallbackSecrets(parseCallback(fixture('nidd-service-callback-failed.json')))),
    ).not.toMatch(/pwd/);
  });
});

describe('device keys', () => {
  it('prefers imei, then iccid, and ignores case of kind and id', () => {
    expect(
      deviceKey([
        { kind: 'ICCID', id: '8914' },
        { kind: 'IMEI', id: '3524' },
      ]),
    ).toBe('imei:3524');
    expect(
      deviceKey([
        { kind: 'mdn', id: '5096' },
        { kind: 'iccId', id: '8914' },
      ]),
    ).toBe('iccid:8914');
    expect(deviceKey([{ kind: 'meid', id: 'A1B2' }])).toBe('meid:a1b2');
    expect(deviceKey([{ kind: 'serial', id: 'S1' }])).toBe('serial:s1');
    expect(deviceKey([])).toBeUndefined();
    expect(
      deviceKeys([
        { kind: ' IMEI ', id: ' 1 ' },
        { kind: 'mdn', id: '' },
      ]),
    ).toEqual(['imei:1']);
  });

  it('matches callbacks and list results that name a device by another identifier', () => {
    const index = buildDeviceKeyIndex([
      [
        { kind: 'imei', id: '990013907835573' },
        { kind: 'iccid', id: '89141390780800784259' },
      ],
      [{ kind: 'iccid', id: '89141390780800735573' }],
    ]);
    expect(matchDeviceKey(index, [{ kind: 'iccId', id: '89141390780800784259' }])).toBe('imei:990013907835573');
    expect(
      matchDeviceKey(index, [
        { kind: 'MDN', id: '1' },
        { kind: 'ICCID', id: '89141390780800735573' },
      ]),
    ).toBe('iccid:89141390780800735573');
    expect(matchDeviceKey(index, [{ kind: 'imei', id: '0' }])).toBeUndefined();
  });
});

describe('devices list response', () => {
  const page = {
    hasMoreData: true,
    devices: [
      {
        accountName: '0868924207-00001',
        deviceIds: [
          { kind: 'IMEI', id: '1' },
          { kind: 'iccId', id: '2' },
          { kind: 'eUICCid', id: '3' },
        ],
        carrierInformations: [{ carrierName: 'Verizon Wireless', servicePlan: 'p', state: 'Pre-Active' }],
        extendedAttributes: [
          { key: 'DeviceId', value: '15000000123' },
          { key: 'Other', value: null },
        ],
        somethingNew: 42,
      },
    ],
    vendor: 'x',
  };

  it('keeps unknown fields and kinds, lower-cases kinds', () => {
    const parsed = DevicesListResponseSchema.parse(page);
    expect(parsed).toMatchObject({ vendor: 'x', devices: [{ somethingNew: 42 }] });
    expect(parsed.devices[0]?.deviceIds.map((d) => d.kind)).toEqual(['imei', 'iccid', 'euiccid']);
  });

  it('reads the paging cursor and the normalised state', () => {
    const device = DevicesListResponseSchema.parse(page).devices[0]!;
    expect(deviceCursor(device)).toBe('15000000123');
    expect(deviceState(device)).toBe('preactive');
    expect(deviceCursor({ ...device, extendedAttributes: [{ key: 'deviceid', value: 7 }] })).toBe('7');
    expect(deviceCursor({ ...device, extendedAttributes: [] })).toBeUndefined();
    expect(deviceState({ ...device, carrierInformations: [] })).toBeUndefined();
  });

  it.each([
    ['active', 'active'],
    ['ACTIVE', 'active'],
    ['Activated', 'active'],
    ['pre-active', 'preactive'],
    ['PreActive', 'preactive'],
    ['deactive', 'deactive'],
    ['Deactivated', 'deactive'],
    ['suspend', 'suspend'],
    ['Pending Activation', 'pendingactivation'],
  ])('normalises state %s', (state, expected) => {
    expect(normalizeState(state)).toBe(expected);
  });

  it('treats a missing device list as empty and rejects devices without identifiers', () => {
    expect(DevicesListResponseSchema.parse({ hasMoreData: false, devices: null }).devices).toEqual([]);
    const bad = DevicesListResponseSchema.safeParse({ devices: [{ accountName: 'a' }] });
    expect(bad.success ? 'ok' : formatZodError(bad.error)).toBe('devices[0].deviceIds: is required');
  });
});

describe('other responses', () => {
  const entry = { occurredAt: '2024-01-01T00:00:00Z', status: 'Success', eventType: 'Activate', mdn: '5096306081' };

  it('accepts history both bare and wrapped in an array', () => {
    expect(HistoryResponseSchema.parse({ hasMoreData: false, provisioningHistory: [entry] })).toEqual({
      hasMoreData: false,
      provisioningHistory: [entry],
    });
    expect(
      HistoryResponseSchema.parse([
        { hasMoreData: true, provisioningHistory: [entry] },
        { provisioningHistory: [entry] },
      ]),
    ).toEqual({ hasMoreData: true, provisioningHistory: [entry, entry] });
  });

  it('reads request status case-insensitively into the canonical spelling', () => {
    expect(RequestStatusResponseSchema.parse({ requestId: 'r', status: 'SUCCESS' }).status).toBe('Success');
    expect(RequestStatusResponseSchema.parse({ requestId: 'r', status: 'pending' }).status).toBe('Pending');
    const bad = RequestStatusResponseSchema.safeParse({ requestId: 'r', status: 'Done' });
    expect(bad.success ? 'ok' : formatZodError(bad.error)).toBe(
      'status: status must be one of Pending, Success, Failure (any case)',
    );
  });

  it('reads token and session responses, with numeric strings and a missing expiresIn', () => {
    expect(
      OAuthTokenResponseSchema.parse({ access_token: 't', token_type: 'Bearer', expires_in: '3600' }).expires_in,
    ).toBe(3600);
    expect(SessionLoginResponseSchema.parse({ sessionToken: 's' }).expiresIn).toBeUndefined();
    const bad = SessionLoginResponseSchema.safeParse({ token: 's' });
    expect(bad.success ? 'ok' : formatZodError(bad.error)).toBe('sessionToken: is required');
  });

  it.each([
    [fixture('error-400.json'), { kind: 'm2m', errorCode: 'error code string', message: 'error message string' }],
    [
      { fault: { code: 900901, message: 'Invalid Credentials', description: 'expired' } },
      { kind: 'fault', errorCode: '900901', message: 'Invalid Credentials: expired' },
    ],
    [
      { error: 'invalid_client', error_description: 'bad secret' },
      { kind: 'oauth', errorCode: 'invalid_client', message: 'bad secret' },
    ],
    [{ message: 'Too Many Requests' }, { kind: 'message', errorCode: undefined, message: 'Too Many Requests' }],
    ['<html>nope</html>', { kind: 'unknown', errorCode: undefined, message: undefined }],
    [undefined, { kind: 'unknown', errorCode: undefined, message: undefined }],
  ])('classifies error body %#', (body, expected) => {
    expect(classifyErrorBody(body)).toEqual(expected);
  });
});

describe('schema modules', () => {
  // Workflow code imports them: zod and each other only, no Node built-ins, no got.
  it('import nothing but zod and each other', () => {
    const dir = new URL('../../src/thingspace/schemas/', import.meta.url);
    const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) {
      const source = readFileSync(new URL(file, dir), 'utf8');
      const specifiers = [...source.matchAll(/from\s+'([^']+)'/g)].map((m) => m[1]);
      for (const specifier of specifiers) expect(`${file}: ${specifier}`).toMatch(/: (zod|\.\/[\w-]+\.js)$/);
    }
  });
});
