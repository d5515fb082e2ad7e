/**
 * `npm run schema:generate`: writes schema/job-request.schema.json, the published contract for callers that start
 * jobs without TypeScript. It is derived from JobRequestSchema (zod), the single source of truth, and
 * test/deploy/job-schema.test.ts fails when the committed file no longer matches what this produces.
 */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { z } from 'zod';
import { JobRequestSchema, JobSelectionSchema } from '../src/activation/job.js';
import { DEVICES_PER_PART, MAX_DEVICES_PER_LIST } from '../src/activation/job-limits.js';
import { DEFAULT_TASK_QUEUE } from '../src/task-queues.js';
import { DEVICE_ID_KINDS, DeviceIdKindSchema } from '../src/thingspace/schemas/common.js';

export const JOB_SCHEMA_PATH = fileURLToPath(new URL('../schema/job-request.schema.json', import.meta.url));
export const EXAMPLE_JOB_PATH = fileURLToPath(new URL('../schema/example-job.json', import.meta.url));

/** Workflow type name as registered by the worker (the exported function name in src/workflows). */
export const JOB_WORKFLOW_TYPE = 'activationJob';

const DESCRIPTION = [
  `Input of the \`${JOB_WORKFLOW_TYPE}\` workflow (task queue \`${DEFAULT_TASK_QUEUE}\`); start it with the`,
  'jobId as the workflow ID so that the same job cannot run twice.',
  'Generated from JobRequestSchema (src/activation/job.ts) by `npm run schema:generate`.',
  'The worker also enforces rules JSON Schema does not express here: identifier formats per kind',
  '(e.g. imei 1-16 digits), no identifier kind twice in a device, no device twice in a job, carrierIpPoolName',
  'whenever a device has an ipAddress, leadId and primaryPlaceOfUse not together, no custom field key twice',
  '(in activation and in selection). A job names `devices`, a `selection` (a device group and/or custom-field',
  'values, resolved when the job starts; NB-IoT devices left out unless includeNbIot), or both: a device in both',
  `is activated once. A selection job holds at most ${MAX_DEVICES_PER_LIST.toLocaleString('en-US')} devices, listed`,
  'plus selected (more fails the job with SelectionTooLarge);',
  `over ${DEVICES_PER_PART.toLocaleString('en-US')} it runs in part jobs.`,
].join(' ');

/**
 * zod normalises the identifier kind (trim, lower-case) before its enum check, so the input side is a bare
 * string; a case-insensitive pattern gives other languages the list of kinds anyway.
 */
function caseInsensitiveKindPattern(): string {
  const anyCase = (word: string) =>
    [...word].map((c) => (c.toLowerCase() === c.toUpperCase() ? c : `[${c.toLowerCase()}${c.toUpperCase()}]`)).join('');
  return `^\\s*(?:${DEVICE_ID_KINDS.map(anyCase).join('|')})\\s*$`;
}

const eitherOf = (...names: string[]) => names.map((name) => ({ properties: { [name]: true }, required: [name] }));

export function jobRequestJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(JobRequestSchema, {
    // What callers send, before defaults and transforms: the output side is what the workflow holds.
    io: 'input',
    override: ({ zodSchema, jsonSchema }) => {
      if (zodSchema === DeviceIdKindSchema) jsonSchema.pattern = caseInsensitiveKindPattern();
      // Rules between fields that JSON Schema can say: a job names devices, a selection, or both; a selection
      // names a group, custom fields, or both. (`properties` repeated as `true` so strict validators such as
      // ajv's strictRequired accept a `required` inside `anyOf`.)
      if (zodSchema === JobRequestSchema) jsonSchema.anyOf = eitherOf('devices', 'selection');
      if (zodSchema === JobSelectionSchema) jsonSchema.anyOf = eitherOf('groupName', 'customFields');
    },
  });
  const { $schema, ...body } = generated;
  return {
    $schema,
    $id: 'urn:thingspace-activation:schema:job-request',
    title: 'ThingSpace activation job request',
    description: DESCRIPTION,
    ...body,
  };
}

/** Formatted as the repository's Prettier settings want, so `prettier --check .` accepts the generated file. */
export async function renderJobRequestSchema(): Promise<string> {
  const options = await resolveConfig(JOB_SCHEMA_PATH);
  return format(JSON.stringify(jobRequestJsonSchema()), { ...options, filepath: JOB_SCHEMA_PATH });
}

async function main() {
  await writeFile(JOB_SCHEMA_PATH, await renderJobRequestSchema());
  console.log(`wrote ${JOB_SCHEMA_PATH}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
