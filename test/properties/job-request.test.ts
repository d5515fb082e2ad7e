/**
 * JobRequestSchema against generated job requests: valid ones (kinds in any case, optional fields present or not,
 * padded ids) and mutations of them that each break one documented rule. The schema must accept exactly the valid
 * ones, and every refusal must name the field that was broken.
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { JobRequestSchema, type JobRequestInput } from '../../src/activation/job.js';
import { CUSTOM_FIELD_KEYS, DEVICE_ID_KINDS } from '../../src/thingspace/schemas/common.js';
import { formatZodError } from '../../src/thingspace/schemas/format.js';
import { DIGITS, LETTERS, cases, describeCase, mutation, over, refusalProblems, seed, type Mutation } from './cases.js';

const RUNS = 10_000;

type Kind = (typeof DEVICE_ID_KINDS)[number];
type Job = JobRequestInput & Record<string, unknown>;
type Loose = Record<string, unknown>;

const digits = (min: number, max: number) => over(DIGITS, min, max);
const oneOf = <T>(...values: T[]) => fc.constantFrom(...values);

/** The same letters in random case: kinds are matched case-insensitively. */
const anyCase = (word: string) =>
  fc
    .array(fc.boolean(), { minLength: word.length, maxLength: word.length })
    .map((upper) => [...word].map((ch, i) => (upper[i] ? ch.toUpperCase() : ch)).join(''));

/**
 * An id valid for its kind and unique to `serial`, so that two devices never share an identifier by chance: the
 * duplicate-device rule is broken only by the mutation that means to.
 */
function validId(kind: Kind, serial: number): fc.Arbitrary<string> {
  const s = String(serial);
  switch (kind) {
    case 'imei':
      return digits(0, 16 - s.length - 1).map((p) => `9${p}${s}`.slice(-16));
    case 'iccid':
      return digits(0, 20 - s.length - 1).map((p) => `8${p}${s}`.slice(-20));
    case 'esn':
      return digits(0, 6).map((p) => `${p}0${s}`);
    case 'meid':
      return over('0123456789ABCDEFabcdef', 0, 6).map((p) => `${p}F${s.padStart(8, '0')}`);
    default:
      return over(LETTERS + DIGITS, 0, 6).map((p) => `${s}_${p}`);
  }
}

/** Ids are trimmed before the format check, so surrounding blanks are valid. */
const padded = (id: fc.Arbitrary<string>) =>
  fc.tuple(oneOf('', ' ', '  '), id, oneOf('', ' ')).map(([a, id, b]) => `${a}${id}${b}`);

const deviceArb = (serial: number) =>
  fc
    .record({
      kinds: fc.shuffledSubarray([...DEVICE_ID_KINDS], { minLength: 1, maxLength: 3 }),
      nbIot: fc.option(fc.boolean(), { nil: undefined }),
    })
    .chain(({ kinds, nbIot }) =>
      fc.tuple(...kinds.map((kind) => fc.tuple(anyCase(kind), padded(validId(kind, serial))))).map((ids) => ({
        deviceIds: ids.map(([kind, id]) => ({ kind, id })),
        ...(nbIot !== undefined && { nbIot }),
      })),
    );

const octet = fc.integer({ min: 0, max: 255 });
const ipv4 = fc.tuple(fc.integer({ min: 1, max: 255 }), octet, octet, octet).map((parts) => parts.join('.'));
const nameText = (max: number) => over(`${LETTERS}${DIGITS} -!#`, 1, max);
const text = fc.string({ minLength: 1, maxLength: 12 });

const placeOfUse = fc.record(
  {
    customerName: fc.record(
      { firstName: nameText(20), lastName: nameText(25), title: text, middleName: text },
      { requiredKeys: ['firstName', 'lastName'] },
    ),
    address: fc.record(
      {
        addressLine1: text,
        addressLine2: text,
        city: text,
        state: over(LETTERS, 2, 2),
        zip: digits(5, 5),
        zip4: digits(4, 4),
        country: oneOf('US', 'USA'),
        phoneType: over(LETTERS, 1, 1),
        emailAddress: oneOf('ops@example.com', 'iot.team+x@example.org'),
      },
      { requiredKeys: ['addressLine1', 'city', 'state', 'zip', 'country'] },
    ),
  },
  { requiredKeys: ['customerName', 'address'] },
);

const activationArb = fc
  .record(
    {
      servicePlan: text,
      mdnZipCode: digits(5, 5),
      groupName: text,
      skuNumber: fc.string({ minLength: 1, maxLength: 20 }),
      carrierName: text,
      carrierIpPoolName: text,
      customFields: fc.uniqueArray(
        fc.record({ key: oneOf(...CUSTOM_FIELD_KEYS), value: fc.string({ maxLength: 50 }) }),
        { selector: (f) => f.key, maxLength: 5 },
      ),
      costCenterCode: nameText(36),
      publicIpRestriction: oneOf('restricted', 'unrestricted'),
      // leadId and primaryPlaceOfUse exclude each other: one of them, or neither.
      lead: fc.oneof(
        fc.constant({}),
        text.map((leadId) => ({ leadId })),
        placeOfUse.map((primaryPlaceOfUse) => ({ primaryPlaceOfUse })),
      ),
    },
    { requiredKeys: ['servicePlan', 'mdnZipCode', 'lead'] },
  )
  .map(({ lead, ...rest }) => ({ ...rest, ...lead }));

const duration = fc.oneof(fc.integer({ min: 1, max: 10 ** 9 }), oneOf('2 seconds', '12 hours', '90s', '15m'));
const optionsArb = fc.record(
  {
    maxDevicesPerRequest: fc.integer({ min: 1, max: 10_000 }),
    callbackTimeout: duration,
    pollInterval: duration,
    pollDeadline: duration,
    ambiguousRecheckDelay: duration,
  },
  { requiredKeys: [] },
);

const validJob: fc.Arbitrary<Job> = fc
  .record({
    jobId: fc.oneof(
      fc.tuple(over(LETTERS + DIGITS, 1, 1), over(`${LETTERS}${DIGITS}._:@-`, 0, 40)).map(([a, b]) => a + b),
      fc.tuple(over(LETTERS + DIGITS, 1, 1), over(`${LETTERS}${DIGITS}._:@-`, 199, 199)).map(([a, b]) => a + b),
    ),
    accountName: text,
    activation: activationArb,
    serials: fc.uniqueArray(fc.integer({ min: 1, max: 999_999 }), { minLength: 1, maxLength: 4 }),
    ipAddresses: fc.array(fc.option(ipv4, { nil: undefined }), { maxLength: 4 }),
    options: fc.option(optionsArb, { nil: undefined }),
  })
  .chain(({ serials, ipAddresses, activation, options, ...job }) =>
    fc.tuple(...serials.map(deviceArb)).map((devices) => {
      const withIp = devices.map((d, i) => (ipAddresses[i] ? { ...d, ipAddress: ipAddresses[i] } : d));
      // A device with an ipAddress needs the request's carrierIpPoolName.
      const usesIp = withIp.some((d) => 'ipAddress' in d);
      const pool = usesIp && !activation.carrierIpPoolName ? { carrierIpPoolName: 'pool-1' } : {};
      return {
        ...job,
        activation: { ...activation, ...pool },
        devices: withIp,
        ...(options && { options }),
      } as Job;
    }),
  );

// The mutations. Each picks its target from the value it is given, so two mutations in a row stay consistent.

const devicesOf = (job: Job) => job.devices as Loose[];
const idsOf = (job: Job, i: number) => devicesOf(job)[i]!.deviceIds as Loose[];
const pick = <T>(list: readonly T[], n: number) => ({ index: n % list.length, item: list[n % list.length]! });
/** A device that still has its identifier list (an earlier mutation may have replaced it). */
function deviceWithIds(job: Job, n: number): number | undefined {
  const devices = devicesOf(job);
  if (!Array.isArray(devices)) return undefined;
  const usable = devices.map((d, i) => (Array.isArray(d?.deviceIds) && d.deviceIds.length > 0 ? i : -1));
  const indices = usable.filter((i) => i >= 0);
  return indices.length === 0 ? undefined : indices[n % indices.length];
}
/**
 * A valid id that no generated device has: validId always puts a 9, 8, 0, F or _ where these cannot have one.
 */
function freshId(kind: string, n: number): string {
  const noZero = String(n + 1).replaceAll('0', '5');
  if (kind === 'imei') return `1${noZero}`.slice(0, 16);
  if (kind === 'iccid') return `1${noZero}`.slice(0, 20);
  if (kind === 'esn') return `1${noZero}`;
  if (kind === 'meid') return `E${noZero}`;
  return `fresh${noZero}`;
}

const unknownKey = over(LETTERS, 3, 12);

const REQUIRED: [string, (job: Job) => Loose][] = [
  ['jobId', (job) => job],
  ['accountName', (job) => job],
  ['activation', (job) => job],
  ['devices', (job) => job],
  ['activation.servicePlan', (job) => job.activation as Loose],
  ['activation.mdnZipCode', (job) => job.activation as Loose],
];

const mutations: fc.Arbitrary<Mutation<Job>>[] = [
  mutation('jobId pattern', oneOf('', '-starts-with-dash', 'has space', 'x'.repeat(201), 'ünïcode', '.dot'), (j, v) => {
    j.jobId = v;
    return 'jobId';
  }),
  mutation('required field missing', fc.nat(), (job, n) => {
    const { item } = pick(REQUIRED, n);
    const [path, owner] = item;
    if (path.startsWith('activation.') && !isObject(job.activation)) return 'activation';
    delete owner(job)[path.split('.').pop()!];
    return path;
  }),
  mutation('accountName empty', fc.constant(''), (job, v) => {
    job.accountName = v;
    return 'accountName';
  }),
  mutation('mdnZipCode digits', oneOf('1234', '123456', '9880a', ' 98801', '９８８０１'), (job, v) =>
    inActivation(job, (activation) => {
      activation.mdnZipCode = v;
      return 'activation.mdnZipCode';
    }),
  ),
  mutation('id format', fc.record({ n: fc.nat(), m: fc.nat(), bad: fc.nat() }), (job, { n, m, bad }) => {
    const i = deviceWithIds(job, n);
    if (i === undefined) return refuseDevices(job);
    const { index: j, item } = pick(idsOf(job, i), m);
    const kind = String(item.kind).trim().toLowerCase();
    const wrong: Partial<Record<string, string[]>> = {
      imei: ['12345678901234567', '35a000000000001', '3500-0000'],
      iccid: ['891400000000000000001', '8914x', '89.14'],
      esn: ['12ab', '-1'],
      meid: ['A1G2', 'zz'],
    };
    item.id = pick([...(wrong[kind] ?? []), '', '   '], bad).item;
    return `devices[${i}].deviceIds[${j}].id`;
  }),
  mutation(
    'unknown kind',
    fc.record({ n: fc.nat(), m: fc.nat(), kind: oneOf('imeii', '', 'IMEI2', 'phone', 'sim') }),
    (job, p) => {
      const i = deviceWithIds(job, p.n);
      if (i === undefined) return refuseDevices(job);
      const { index: j, item } = pick(idsOf(job, i), p.m);
      item.kind = p.kind;
      return `devices[${i}].deviceIds[${j}].kind`;
    },
  ),
  mutation('kind twice in one device', fc.record({ n: fc.nat(), m: fc.nat(), upper: fc.boolean() }), (job, p) => {
    const i = deviceWithIds(job, p.n);
    if (i === undefined) return refuseDevices(job);
    const ids = idsOf(job, i);
    const { item } = pick(ids, p.m);
    const kind = String(item.kind).trim();
    const id = freshId(kind.toLowerCase(), p.m);
    // Same kind in another case, with an id of the right format that no device uses.
    ids.push({ kind: p.upper ? kind.toUpperCase() : kind.toLowerCase(), id });
    return `devices[${i}].deviceIds[${ids.length - 1}].kind`;
  }),
  mutation('device twice in the job', fc.record({ n: fc.nat(), swap: fc.boolean() }), (job, p) => {
    const i = deviceWithIds(job, 0);
    if (i === undefined) return refuseDevices(job);
    const first = idsOf(job, i)[0]!;
    const id = String(first.id);
    const copy = { kind: String(first.kind).toUpperCase(), id: p.swap ? id.toUpperCase() : id.toLowerCase() };
    const devices = devicesOf(job);
    const later = devices.length > i + 1 ? i + 1 + (p.n % (devices.length - i - 1)) : devices.length;
    devices[later] = { deviceIds: [copy] };
    return `devices[${later}]`;
  }),
  mutation('no devices', fc.constant(null), (job) => refuseDevices(job)),
  mutation('deviceIds empty', fc.nat(), (job, n) => {
    const i = deviceWithIds(job, n);
    if (i === undefined) return refuseDevices(job);
    devicesOf(job)[i]!.deviceIds = [];
    return `devices[${i}].deviceIds`;
  }),
  mutation(
    'ipAddress format',
    fc.record({ n: fc.nat(), ip: oneOf('0.1.2.3', '256.1.1.1', '10.0.0', '10.0.0.1.5', 'x') }),
    (job, p) => {
      const i = deviceWithIds(job, p.n);
      if (i === undefined) return refuseDevices(job);
      return inActivation(job, (activation) => {
        devicesOf(job)[i]!.ipAddress = p.ip;
        // Any ipAddress, even a malformed one, needs a pool: only the format is meant to be broken here.
        activation.carrierIpPoolName ??= 'pool-1';
        return `devices[${i}].ipAddress`;
      });
    },
  ),
  mutation('ipAddress without carrierIpPoolName', fc.record({ n: fc.nat(), ip: ipv4 }), (job, p) => {
    const i = deviceWithIds(job, p.n);
    if (i === undefined) return refuseDevices(job);
    return inActivation(job, (activation) => {
      devicesOf(job)[i]!.ipAddress = p.ip;
      delete activation.carrierIpPoolName;
      return 'activation.carrierIpPoolName';
    });
  }),
  mutation('leadId with primaryPlaceOfUse', fc.tuple(text, placeOfUse), (job, [leadId, place]) =>
    inActivation(job, (activation) => {
      Object.assign(activation, { leadId, primaryPlaceOfUse: place });
      return 'activation.primaryPlaceOfUse';
    }),
  ),
  mutation(
    'place of use field',
    fc.tuple(
      placeOfUse,
      oneOf<[string, string, unknown]>(
        ['address', 'state', 'WAS'],
        ['address', 'zip', '9880'],
        ['address', 'zip4', '12345'],
        ['address', 'country', 'CA'],
        ['address', 'emailAddress', 'not-an-email'],
        ['address', 'phoneType', 'mobile'],
        ['address', 'city', ''],
        ['customerName', 'firstName', 'x'.repeat(21)],
        ['customerName', 'lastName', 'O’Brien'],
        ['customerName', 'firstName', undefined],
      ),
    ),
    (job, [place, [part, field, value]]) =>
      inActivation(job, (activation) => {
        delete activation.leadId;
        const owner = place[part as keyof typeof place] as Loose;
        if (value === undefined) delete owner[field];
        else owner[field] = value;
        activation.primaryPlaceOfUse = place;
        return `activation.primaryPlaceOfUse.${part}.${field}`;
      }),
  ),
  mutation('customFields', fc.record({ broken: oneOf('key', 'value', 'twice'), n: fc.nat() }), (job, { broken, n }) =>
    inActivation(job, (activation) => {
      const fields: { key: string; value: string }[] = [{ key: pick(CUSTOM_FIELD_KEYS, n).item, value: 'v' }];
      if (broken === 'key') fields[0]!.key = 'CustomField6';
      if (broken === 'value') fields[0]!.value = 'x'.repeat(51);
      if (broken === 'twice') fields.push({ key: fields[0]!.key, value: 'w' });
      activation.customFields = fields;
      return `activation.customFields[${broken === 'twice' ? 1 : 0}].${broken === 'value' ? 'value' : 'key'}`;
    }),
  ),
  mutation(
    'settings field',
    oneOf<[string, unknown]>(
      ['skuNumber', 'x'.repeat(21)],
      ['costCenterCode', 'cc/42'],
      ['costCenterCode', 'x'.repeat(37)],
      ['publicIpRestriction', 'RESTRICTED'],
      ['servicePlan', ''],
      ['servicePlan', 42],
      ['leadId', ''],
      ['customFields', 'CustomField1'],
    ),
    (job, [field, value]) =>
      inActivation(job, (activation) => {
        activation[field] = value;
        if (field === 'leadId') delete activation.primaryPlaceOfUse;
        return `activation.${field}`;
      }),
  ),
  mutation(
    'option out of range',
    oneOf<[string, unknown]>(
      ['maxDevicesPerRequest', 0],
      ['maxDevicesPerRequest', 10_001],
      ['maxDevicesPerRequest', 2.5],
      ['callbackTimeout', -1],
      ['pollInterval', ''],
      ['pollDeadline', null],
    ),
    (job, [field, value]) => {
      job.options = { ...job.options, [field]: value } as never;
      return `options.${field}`;
    },
  ),
  mutation(
    'wrong type',
    fc.record({ n: fc.nat(), which: oneOf('nbIot', 'devices', 'deviceIds', 'activation') }),
    (job, p) => {
      if (p.which === 'devices') {
        job.devices = 'imei:35000' as never;
        return 'devices';
      }
      if (p.which === 'activation') {
        job.activation = ['4G'] as never;
        return 'activation';
      }
      const i = deviceWithIds(job, p.n);
      if (i === undefined) return refuseDevices(job);
      const device = devicesOf(job)[i]!;
      if (p.which === 'nbIot') device.nbIot = 'yes';
      else device.deviceIds = { kind: 'imei', id: '1' };
      return `devices[${i}].${p.which}`;
    },
  ),
  mutation(
    'unknown field',
    fc.record({ key: unknownKey, where: oneOf('(root)', 'activation', 'device', 'deviceId', 'options'), n: fc.nat() }),
    (job, p) => {
      const owner = (): [Loose, string] | undefined => {
        if (p.where === '(root)') return [job, '(root)'];
        if (p.where === 'activation' && isObject(job.activation)) return [job.activation as Loose, 'activation'];
        if (p.where === 'options') {
          job.options = { ...job.options };
          return [job.options as Loose, 'options'];
        }
        const i = deviceWithIds(job, p.n);
        if (i === undefined) return undefined;
        if (p.where === 'device') return [devicesOf(job)[i]!, `devices[${i}]`];
        return [idsOf(job, i)[0]!, `devices[${i}].deviceIds[0]`];
      };
      const found = owner() ?? [job, '(root)'];
      // A known field name is not "unknown": prefix keeps it clear of every real field.
      found[0][`x${p.key}`] = 1;
      return found[1];
    },
  ),
];

const isObject = (v: unknown): v is Loose => typeof v === 'object' && v !== null && !Array.isArray(v);

/** An earlier mutation may have removed the activation settings: then they are what is broken. */
function inActivation(job: Job, mutate: (activation: Loose) => string): string {
  return isObject(job.activation) ? mutate(job.activation) : 'activation';
}

/** When an earlier mutation left no device to break, break the list itself so the case still has its verdict. */
function refuseDevices(job: Job): string {
  job.devices = [];
  return 'devices';
}

describe('JobRequestSchema (property)', () => {
  it(`accepts exactly the valid requests of ${RUNS.toLocaleString('en')} generated ones and names the broken field`, () => {
    let valid = 0;
    let refused = 0;
    fc.assert(
      fc.property(cases(validJob, fc.oneof(...mutations)), (c) => {
        const result = JobRequestSchema.safeParse(c.input);
        if (c.broken.length === 0) {
          if (!result.success) throw new Error(describeCase(c, `refused: ${formatZodError(result.error)}`));
          valid++;
          // Kinds come out normalised whatever case they came in.
          for (const d of result.data.devices ?? [])
            for (const id of d.deviceIds) expect(id.kind).toBe(id.kind.toLowerCase());
          return;
        }
        if (result.success) throw new Error(describeCase(c, 'accepted'));
        refused++;
        const message = formatZodError(result.error, 50);
        const problems = refusalProblems(message, c.broken);
        if (problems.length > 0) throw new Error(describeCase(c, `${message}\n  ${problems.join('; ')}`));
      }),
      { numRuns: RUNS, seed },
    );
    console.info(`job requests: ${valid} valid accepted, ${refused} invalid refused with the field named`);
    expect(valid).toBeGreaterThan(RUNS / 5);
    expect(refused).toBeGreaterThan(RUNS / 2);
  });
});
