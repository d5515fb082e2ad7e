import { readFile } from 'node:fs/promises';
import { describe, expect, it } from '@jest/globals';
import { Ajv2020, type SchemaObject } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { EXAMPLE_JOB_PATH, JOB_SCHEMA_PATH, jobRequestJsonSchema } from '../../scripts/generate-schema.js';
import { JobRequestSchema } from '../../src/activation/job.js';

const readJson = async (path: string): Promise<unknown> => JSON.parse(await readFile(path, 'utf8'));

async function compiledSchema() {
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  // ajv-formats is CommonJS: its default import is the module object, which carries the plugin as `.default`.
  addFormats.default(ajv);
  return ajv.compile((await readJson(JOB_SCHEMA_PATH)) as SchemaObject);
}

/** A fresh copy each time, so a case can change it freely. */
async function example(): Promise<Record<string, unknown>> {
  return (await readJson(EXAMPLE_JOB_PATH)) as Record<string, unknown>;
}

describe('job request JSON Schema', () => {
  it('is committed as the generator produces it now (run `npm run schema:generate` after changing the zod schema)', async () => {
    expect(await readJson(JOB_SCHEMA_PATH)).toEqual(jobRequestJsonSchema());
  });

  it('accepts the example job, which the zod schema accepts too', async () => {
    const validate = await compiledSchema();
    const job = await example();
    expect(validate(job) ? 'valid' : validate.errors).toBe('valid');
    expect(JobRequestSchema.safeParse(job).error).toBeUndefined();
  });

  const cases: [string, (job: Record<string, unknown>) => void][] = [
    ['no devices', (job) => void (job.devices = [])],
    ['a missing jobId', (job) => void delete job.jobId],
    ['a jobId with a space', (job) => void (job.jobId = 'my job')],
    ['an unknown top-level field', (job) => void (job.priority = 'high')],
    ['a four-digit mdnZipCode', (job) => void ((job.activation as Record<string, unknown>).mdnZipCode = '9880')],
    ['an unknown identifier kind', (job) => void (job.devices = [{ deviceIds: [{ kind: 'serial', id: '42' }] }])],
    [
      'a bad publicIpRestriction',
      (job) => void ((job.activation as Record<string, unknown>).publicIpRestriction = 'open'),
    ],
    ['a non-positive callbackTimeout', (job) => void (job.options = { callbackTimeout: 0 })],
    ['neither devices nor a selection', (job) => void delete job.devices],
    ['an empty selection', (job) => void (job.selection = {})],
    [
      'a selection by an unknown custom field',
      (job) => void (job.selection = { customFields: [{ key: 'Colour', value: 'Blue' }] }),
    ],
    ['a selection with an unknown field', (job) => void (job.selection = { groupName: 'West', state: 'preactive' })],
  ];

  it.each(cases)('rejects %s, as the zod schema does', async (_name, spoil) => {
    const validate = await compiledSchema();
    const job = await example();
    spoil(job);
    expect(validate(job)).toBe(false);
    expect(JobRequestSchema.safeParse(job).success).toBe(false);
  });

  it.each<[string, Record<string, unknown>]>([
    ['a group', { groupName: '4G West' }],
    ['custom fields', { customFields: [{ key: 'CustomField2', value: 'SuperVend' }] }],
    [
      'both, NB-IoT included',
      { groupName: '4G West', customFields: [{ key: 'CustomField1', value: 'Blue' }], includeNbIot: true },
    ],
  ])('accepts a selection by %s without devices, and with them, as the zod schema does', async (_name, selection) => {
    const validate = await compiledSchema();
    const job = await example();
    const withDevices = { ...job, selection };
    delete job.devices;
    for (const candidate of [{ ...job, selection }, withDevices]) {
      expect(validate(candidate) ? 'valid' : validate.errors).toBe('valid');
      expect(JobRequestSchema.safeParse(candidate).error).toBeUndefined();
    }
  });

  it('accepts identifier kinds in any case, as the zod schema does', async () => {
    const validate = await compiledSchema();
    const job = await example();
    job.devices = [
      {
        deviceIds: [
          { kind: ' IMEI', id: '356059900000023' },
          { kind: 'IccId', id: '8914806059900' },
        ],
      },
    ];
    expect(validate(job) ? 'valid' : validate.errors).toBe('valid');
    expect(JobRequestSchema.safeParse(job).error).toBeUndefined();
  });
});
