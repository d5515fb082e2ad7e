import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { ActivateRequestSchema, ActivateResponseSchema, formatZodError } from '../../src/thingspace/schemas/index.js';
import { fixture } from './fixtures.js';

/** Parses and returns the formatted error, or 'ok'. */
function check(input: unknown): string {
  const result = ActivateRequestSchema.safeParse(input);
  return result.success ? 'ok' : formatZodError(result.error, 50);
}

function base(): Record<string, unknown> {
  return {
    devices: [
      {
        deviceIds: [
          { kind: 'imei', id: '990013907835573' },
          { kind: 'iccid', id: '89141390780800784259' },
        ],
      },
    ],
    servicePlan: 'plan',
    mdnZipCode: '98801',
  };
}

function withDevice(device: Record<string, unknown>): Record<string, unknown> {
  return { ...base(), devices: [device] };
}

function ppu(patch: { customerName?: object; address?: object }): Record<string, unknown> {
  return {
    ...base(),
    primaryPlaceOfUse: {
      customerName: { firstName: 'Zaffod', lastName: 'Beeblebrox', ...patch.customerName },
      address: {
        addressLine1: '1 Main St',
        city: 'Austin',
        state: 'TX',
        zip: '78701',
        country: 'US',
        ...patch.address,
      },
    },
  };
}

describe('ActivateRequestSchema: the seed examples', () => {
  it('parses the SKU + ICCID example', () => {
    const parsed = ActivateRequestSchema.parse(fixture('activate-sku-iccid.json'));
    expect(parsed.skuNumber).toBe('7640111922001');
    expect(parsed.devices).toHaveLength(2);
  });

  it('parses the IP-address example once carrierIpPoolName is added, keeping every field', () => {
    const input = { ...fixture('activate-with-ip.json'), carrierIpPoolName: 'pool-1' };
    expect(ActivateRequestSchema.parse(input)).toEqual(input);
  });

  // The seed's own example omits carrierIpPoolName although the same page calls it required with ipAddress.
  it('rejects the verbatim IP-address example for that one documented rule only', () => {
    expect(check(fixture('activate-with-ip.json'))).toBe(
      'carrierIpPoolName: carrierIpPoolName is required when any device has an ipAddress',
    );
  });

  it('parses the response example', () => {
    expect(ActivateResponseSchema.parse(fixture('activate-response.json')).requestId).toBe(
      '595f5c44-c31c-4552-8670-020a1545a84d',
    );
  });
});

describe('ActivateRequestSchema: device identifiers', () => {
  it('accepts kinds in any case and normalises them to lower case', () => {
    const parsed = ActivateRequestSchema.parse(
      withDevice({
        deviceIds: [
          { kind: 'IMEI', id: '990013907835573' },
          { kind: 'IccId', id: '89141390780800784259' },
        ],
      }),
    );
    expect(parsed.devices[0]?.deviceIds.map((d) => d.kind)).toEqual(['imei', 'iccid']);
  });

  it.each([
    [
      'imei with letters',
      { kind: 'imei', id: '99001390783557a' },
      'devices[0].deviceIds[0].id: imei must be 1-16 decimal digits',
    ],
    [
      'imei of 17 digits',
      { kind: 'IMEI', id: '12345678901234567' },
      'devices[0].deviceIds[0].id: imei must be 1-16 decimal digits',
    ],
    [
      'iccid of 21 digits',
      { kind: 'iccid', id: '891413907808007842591' },
      'devices[0].deviceIds[0].id: iccid must be 1-20 decimal digits',
    ],
    [
      'iccid with a trailing F',
      { kind: 'ICCID', id: '8914139078080078425F' },
      'devices[0].deviceIds[0].id: iccid must be 1-20 decimal digits',
    ],
    ['esn in hex', { kind: 'esn', id: 'ABCDEF12' }, 'devices[0].deviceIds[0].id: esn must be decimal digits'],
    [
      'meid not hex',
      { kind: 'meid', id: 'A1000009XYZ' },
      'devices[0].deviceIds[0].id: meid must be hexadecimal digits',
    ],
    ['an empty id', { kind: 'mdn', id: '  ' }, 'devices[0].deviceIds[0].id: id must not be empty'],
    [
      'an unknown kind',
      { kind: 'serial', id: '1' },
      'devices[0].deviceIds[0].kind: kind must be one of esn, eid, iccid, imei, mdn, meid, msisdn, imsi, min (any case)',
    ],
    ['a missing id', { kind: 'imei' }, 'devices[0].deviceIds[0].id: is required'],
    ['an extra field', { kind: 'imei', id: '1', label: 'x' }, 'devices[0].deviceIds[0]: unknown field label'],
  ])('rejects %s', (_name, deviceId, message) => {
    expect(check(withDevice({ deviceIds: [deviceId] }))).toBe(message);
  });

  it('names the failing device and identifier by index', () => {
    const devices = Array.from({ length: 5 }, (_, i) => ({ deviceIds: [{ kind: 'imei', id: `35000000000000${i}` }] }));
    devices[3] = { deviceIds: [{ kind: 'imei', id: '35000000000000x' }] };
    expect(check({ ...base(), devices })).toBe('devices[3].deviceIds[0].id: imei must be 1-16 decimal digits');
  });

  it('rejects a device without identifiers, the same kind twice, and the same device twice', () => {
    expect(check(withDevice({ deviceIds: [] }))).toBe(
      'devices[0].deviceIds: deviceIds must name at least one identifier',
    );
    expect(
      check(
        withDevice({
          deviceIds: [
            { kind: 'imei', id: '1' },
            { kind: 'IMEI', id: '2' },
          ],
        }),
      ),
    ).toBe('devices[0].deviceIds[1].kind: kind imei appears twice');
    const device = { deviceIds: [{ kind: 'imei', id: '990013907835573' }] };
    const twin = { deviceIds: [{ kind: 'IMEI', id: '990013907835573' }] };
    expect(check({ ...base(), devices: [device, { deviceIds: [{ kind: 'imei', id: '1' }] }, twin] })).toBe(
      'devices[2]: device repeats imei of devices[0]',
    );
  });
});

describe('ActivateRequestSchema: request rules', () => {
  it('requires 1 to 10,000 devices', () => {
    expect(check({ ...base(), devices: [] })).toBe('devices: devices must contain at least 1 device');
    const many = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ deviceIds: [{ kind: 'imei', id: String(350000000000000 + i) }] }));
    expect(check({ ...base(), devices: many(10_000) })).toBe('ok');
    expect(check({ ...base(), devices: many(10_001) })).toBe('devices: devices must contain at most 10000 devices');
  });

  it.each([
    ['servicePlan missing', { servicePlan: undefined }, 'servicePlan: is required'],
    ['servicePlan empty', { servicePlan: '' }, 'servicePlan: servicePlan must not be empty'],
    ['mdnZipCode missing', { mdnZipCode: undefined }, 'mdnZipCode: is required'],
    ['mdnZipCode not a ZIP', { mdnZipCode: '9880' }, 'mdnZipCode: mdnZipCode must be 5 decimal digits'],
    ['mdnZipCode a number', { mdnZipCode: 98801 }, 'mdnZipCode: must be a string'],
    ['skuNumber of 21 characters', { skuNumber: 'x'.repeat(21) }, 'skuNumber: skuNumber must be at most 20 characters'],
    [
      'costCenterCode of 37 characters',
      { costCenterCode: 'a'.repeat(37) },
      'costCenterCode: costCenterCode must be at most 36 characters',
    ],
    [
      'costCenterCode with a forbidden character',
      { costCenterCode: 'cc_1' },
      'costCenterCode: costCenterCode may contain only letters, digits, space, -, ! and #',
    ],
    [
      'a custom field key outside CustomField1-5',
      { customFields: [{ key: 'CustomField6', value: 'x' }] },
      'customFields[0].key: key must be one of CustomField1, CustomField2, CustomField3, CustomField4, CustomField5',
    ],
    [
      'a custom field value of 51 characters',
      { customFields: [{ key: 'CustomField1', value: 'v'.repeat(51) }] },
      'customFields[0].value: value must be at most 50 characters',
    ],
    [
      'the same custom field twice',
      {
        customFields: [
          { key: 'CustomField1', value: 'a' },
          { key: 'CustomField1', value: 'b' },
        ],
      },
      'customFields[1].key: CustomField1 appears twice',
    ],
    [
      'publicIpRestriction outside its values',
      { publicIpRestriction: 'open' },
      'publicIpRestriction: publicIpRestriction must be restricted or unrestricted',
    ],
    ['an unknown top-level field', { mdnZipcode: '98801' }, '(root): unknown field mdnZipcode'],
  ])('rejects %s', (_name, patch, message) => {
    expect(check({ ...base(), ...patch })).toBe(message);
  });

  it('accepts every optional field at its limits', () => {
    expect(
      check({
        ...base(),
        accountName: '0868924207-00001',
        groupName: 'g',
        skuNumber: 'x'.repeat(20),
        carrierName: 'Verizon Wireless',
        costCenterCode: 'Aa0 -!#'.padEnd(36, 'z'),
        customFields: [1, 2, 3, 4, 5].map((n) => ({ key: `CustomField${n}`, value: 'v'.repeat(50) })),
        leadId: 'lead-1',
        publicIpRestriction: 'unrestricted',
      }),
    ).toBe('ok');
  });

  it('checks the ipAddress format 1-255.0-255.0-255.0-255 and wants carrierIpPoolName with it', () => {
    const ids = [{ kind: 'imei', id: '1' }];
    const pool = { carrierIpPoolName: 'pool' };
    for (const ip of ['1.0.0.0', '255.255.255.255', '100.127.22.33']) {
      expect(check({ ...withDevice({ deviceIds: ids, ipAddress: ip }), ...pool })).toBe('ok');
    }
    for (const ip of ['0.1.2.3', '256.1.1.1', '1.2.3', '1.2.3.4.5', '01.2.3.4', '1.2.3.256', 'a.b.c.d', ' 1.2.3.4']) {
      expect(check({ ...withDevice({ deviceIds: ids, ipAddress: ip }), ...pool })).toBe(
        'devices[0].ipAddress: ipAddress must have the format 1-255.0-255.0-255.0-255',
      );
    }
    expect(check(withDevice({ deviceIds: ids, ipAddress: '10.0.0.1' }))).toBe(
      'carrierIpPoolName: carrierIpPoolName is required when any device has an ipAddress',
    );
  });

  it('refuses leadId together with primaryPlaceOfUse', () => {
    expect(check({ ...ppu({}), leadId: 'lead-1' })).toBe(
      'primaryPlaceOfUse: primaryPlaceOfUse cannot be used together with leadId',
    );
    expect(check(ppu({}))).toBe('ok');
  });

  it.each([
    [
      'firstName of 21 characters',
      { customerName: { firstName: 'f'.repeat(21) } },
      'primaryPlaceOfUse.customerName.firstName: firstName must be at most 20 characters',
    ],
    [
      'firstName with a dot',
      { customerName: { firstName: 'J.' } },
      'primaryPlaceOfUse.customerName.firstName: firstName may contain only letters, digits, space, -, ! and #',
    ],
    [
      'lastName of 26 characters',
      { customerName: { lastName: 'l'.repeat(26) } },
      'primaryPlaceOfUse.customerName.lastName: lastName must be at most 25 characters',
    ],
    [
      'lastName missing',
      { customerName: { lastName: undefined } },
      'primaryPlaceOfUse.customerName.lastName: is required',
    ],
    [
      'state of three letters',
      { address: { state: 'TEX' } },
      'primaryPlaceOfUse.address.state: state must be a two-letter abbreviation',
    ],
    ['country CA', { address: { country: 'CA' } }, 'primaryPlaceOfUse.address.country: country must be US or USA'],
    [
      'addressLine1 missing',
      { address: { addressLine1: undefined } },
      'primaryPlaceOfUse.address.addressLine1: is required',
    ],
    ['city empty', { address: { city: '' } }, 'primaryPlaceOfUse.address.city: city must not be empty'],
    ['zip missing', { address: { zip: undefined } }, 'primaryPlaceOfUse.address.zip: is required'],
    ['zip4 of 3 digits', { address: { zip4: '123' } }, 'primaryPlaceOfUse.address.zip4: zip4 must be 4 decimal digits'],
    [
      'phoneType of two letters',
      { address: { phoneType: 'WK' } },
      'primaryPlaceOfUse.address.phoneType: phoneType must be a single letter',
    ],
    [
      'a bad email',
      { address: { emailAddress: 'nobody' } },
      'primaryPlaceOfUse.address.emailAddress: emailAddress must be an email address',
    ],
  ])('rejects a place of use with %s', (_name, patch, message) => {
    expect(check(ppu(patch))).toBe(message);
  });

  it('accepts a complete place of use at its limits', () => {
    expect(
      check(
        ppu({
          customerName: {
            title: 'Dr.',
            firstName: 'F'.repeat(20),
            middleName: 'Q.',
            lastName: 'L-!# 9'.padEnd(25, 'x'),
            suffix: 'III',
          },
          address: {
            addressLine2: 'Suite 1',
            zip4: '1234',
            phone: '5125550100',
            phoneType: 'W',
            emailAddress: 'a@b.example',
            country: 'USA',
          },
        }),
      ),
    ).toBe('ok');
  });

  it('reports every broken rule at once, capped to a readable length', () => {
    const devices = Array.from({ length: 30 }, (_, i) => ({ deviceIds: [{ kind: 'imei', id: `x${i}` }] }));
    const result = ActivateRequestSchema.safeParse({ ...base(), devices });
    expect(result.success).toBe(false);
    if (result.success) return;
    const message = formatZodError(result.error);
    expect(message.split('; ')).toHaveLength(11);
    expect(message).toMatch(/; … and 20 more$/);
  });

  it('converts to JSON Schema for other languages (input side)', () => {
    const schema = z.toJSONSchema(ActivateRequestSchema, { io: 'input', unrepresentable: 'any' }) as {
      required?: string[];
      properties?: Record<string, unknown>;
    };
    expect(schema.required).toEqual(expect.arrayContaining(['devices', 'servicePlan', 'mdnZipCode']));
    expect(Object.keys(schema.properties ?? {})).toContain('primaryPlaceOfUse');
  });
});
