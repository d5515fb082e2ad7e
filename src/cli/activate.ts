import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import type { z } from 'zod';
import { needsStoredList } from '../activation/job-limits.js';
import { JobRequestSchema, type JobRequestInput } from '../activation/job.js';
import { openContext, webUiLink } from './context.js';
import { DeviceFileError, problemAt, readDeviceFile, type Problem } from './device-file.js';
import { followJob } from './progress-bar.js';
import { printSummary } from './summary.js';

interface ActivateFlags {
  jobId?: string;
  account?: string;
  servicePlan?: string;
  mdnZipCode?: string;
  skuNumber?: string;
  carrierIpPoolName?: string;
  groupName?: string;
  costCenterCode?: string;
  settings?: string;
  maxDevicesPerRequest?: number;
  callbackTimeout?: string;
  pollInterval?: string;
  pollDeadline?: string;
  group?: string;
  customField?: string[];
  includeNbIot?: boolean;
  wait?: boolean;
}

type CustomFieldInput = NonNullable<NonNullable<JobRequestInput['selection']>['customFields']>[number];

/** `--custom-field CustomField2=SuperVend`, repeatable: each occurrence is added to the list. */
function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** The job's selection from --group / --custom-field / --include-nb-iot, or undefined when none is given. */
function selectionFrom(flags: ActivateFlags): JobRequestInput['selection'] {
  const customFields = (flags.customField ?? []).map((raw) => {
    const at = raw.indexOf('=');
    if (at <= 0) {
      throw new Error(`--custom-field ${JSON.stringify(raw)}: expected KEY=VALUE, e.g. CustomField2=SuperVend`);
    }
    // The key is checked with the rest of the request below, and an unknown one refused naming this flag.
    return { key: raw.slice(0, at).trim() as CustomFieldInput['key'], value: raw.slice(at + 1) };
  });
  if (flags.group === undefined && customFields.length === 0) {
    if (flags.includeNbIot) throw new Error('--include-nb-iot needs --group or --custom-field');
    return undefined;
  }
  return {
    ...(flags.group !== undefined && { groupName: flags.group }),
    ...(customFields.length > 0 && { customFields }),
    ...(flags.includeNbIot && { includeNbIot: true }),
  };
}

/** Issues of the selection, told by the flag that set the field. */
function selectionProblem(issue: z.core.$ZodIssue, flags: ActivateFlags): Problem | undefined {
  const [field, name, index] = issue.path;
  if (field !== 'selection') return undefined;
  if (name === 'groupName') return { message: `--group: ${issue.message}` };
  if (name === 'customFields' && typeof index === 'number') {
    return { message: `--custom-field ${flags.customField?.[index] ?? ''}: ${issue.message}` };
  }
  return { message: `--group / --custom-field: ${issue.message}` };
}

/** The same file and settings give the same job ID, so running the command twice cannot activate twice. */
function derivedJobId(request: Omit<JobRequestInput, 'jobId'>): string {
  return `activation-${createHash('sha256').update(JSON.stringify(request)).digest('hex').slice(0, 20)}`;
}

async function buildRequest(file: string | undefined, flags: ActivateFlags): Promise<JobRequestInput> {
  const selection = selectionFrom(flags);
  if (file === undefined && selection === undefined) {
    throw new Error('no devices named: give a device file, --group <name> and/or --custom-field KEY=VALUE');
  }
  const {
    devices,
    sources,
    problems: formatProblems,
  } = file === undefined ? { devices: undefined, sources: [], problems: [] } : await readDeviceFile(file);
  const fromFile = flags.settings ? JSON.parse(await readFile(flags.settings, 'utf8')) : {};
  const activation = {
    ...fromFile,
    ...(flags.servicePlan && { servicePlan: flags.servicePlan }),
    ...(flags.mdnZipCode && { mdnZipCode: flags.mdnZipCode }),
    ...(flags.skuNumber && { skuNumber: flags.skuNumber }),
    ...(flags.carrierIpPoolName && { carrierIpPoolName: flags.carrierIpPoolName }),
    ...(flags.groupName && { groupName: flags.groupName }),
    ...(flags.costCenterCode && { costCenterCode: flags.costCenterCode }),
  };
  const options = {
    ...(flags.maxDevicesPerRequest && { maxDevicesPerRequest: flags.maxDevicesPerRequest }),
    ...(flags.callbackTimeout && { callbackTimeout: flags.callbackTimeout }),
    ...(flags.pollInterval && { pollInterval: flags.pollInterval }),
    ...(flags.pollDeadline && { pollDeadline: flags.pollDeadline }),
  };
  const body = {
    accountName: flags.account ?? process.env.THINGSPACE_ACCOUNT_NAME ?? '',
    activation,
    ...(devices && { devices }),
    ...(selection && { selection }),
    ...(Object.keys(options).length > 0 && { options }),
  };
  const request: JobRequestInput = { jobId: flags.jobId ?? derivedJobId(body), ...body };

  // The device rules and the whole-request ones (duplicates across rows, settings) in one pass, at the file's lines.
  // A long list is stored by startJob, which checks its devices as it stores them (problems name devices[i]).
  const long = needsStoredList(devices?.length ?? 0, options.maxDevicesPerRequest) && selection === undefined;
  const parsed = JobRequestSchema.safeParse(
    long ? { ...request, devices: undefined, deviceList: 'device-lists/checked-when-stored' } : request,
  );
  const problems = [
    ...formatProblems,
    ...(parsed.success
      ? []
      : parsed.error.issues.map((issue) => selectionProblem(issue, flags) ?? accountHint(problemAt(sources, issue)))),
  ];
  if (problems.length > 0) throw new DeviceFileError(file ?? 'activate', problems);
  return request;
}

function describeDevices(request: JobRequestInput): string {
  const { devices, selection } = request;
  const parts = [
    devices && `${devices.length} devices`,
    selection?.groupName !== undefined && `group ${JSON.stringify(selection.groupName)}`,
    selection?.customFields?.map((f) => `${f.key}=${f.value}`).join(', '),
  ].filter(Boolean);
  return parts.join(' + ') + (selection ? '; the selection is resolved when the job starts' : '');
}

function accountHint(problem: Problem): Problem {
  return problem.message.startsWith('accountName:')
    ? { ...problem, message: `${problem.message} (--account or THINGSPACE_ACCOUNT_NAME)` }
    : problem;
}

export function activateCommand(): Command {
  return new Command('activate')
    .description(
      'activate the devices listed in a CSV or JSON file (columns: imei, iccid, eid, …, ipAddress, nbIot), ' +
        'the devices of a device group or with given custom-field values (--group, --custom-field), or both',
    )
    .argument('[file]', 'devices, as CSV with a header row or as JSON (optional with --group / --custom-field)')
    .option('--job-id <id>', 'the job key (default: derived from the file and settings, so a rerun finds the same job)')
    .option('--account <name>', 'ThingSpace billing account (default: THINGSPACE_ACCOUNT_NAME)')
    .option('--service-plan <plan>', 'service plan code')
    .option('--mdn-zip-code <zip>', 'ZIP code the MDNs are derived from')
    .option('--sku-number <sku>', 'SKU, for ICCID-only activation')
    .option('--carrier-ip-pool-name <pool>', 'private IP pool, required with ipAddress')
    .option(
      '--group <name>',
      'activate the 4G devices of this device group, with or without a file (resolved when the job starts; a device also in the file is activated once)',
    )
    .option(
      '--custom-field <key=value>',
      'activate the devices with this custom-field value, e.g. CustomField2=SuperVend; repeat to require several values (with --group: the devices of the group that have them)',
      collect,
    )
    .option('--include-nb-iot', 'with --group / --custom-field: include NB-IoT devices (left out by default)')
    .option(
      '--group-name <name>',
      'device group ThingSpace puts the activated devices in (an activate setting; to choose devices by group, use --group)',
    )
    .option('--cost-center-code <code>', 'cost center')
    .option('--settings <file>', 'JSON file with further activate fields (customFields, primaryPlaceOfUse, …)')
    .addOption(
      new Option('--max-devices-per-request <n>', 'devices per activate request (≤ 10,000)').argParser((v) =>
        Number(v),
      ),
    )
    .option('--callback-timeout <duration>', 'wait for callbacks this long before polling (default 12 hours)')
    .option('--poll-interval <duration>', 'time between polls (default 15 minutes)')
    .option('--poll-deadline <duration>', 'stop polling after this long (default 12 hours)')
    .option('--wait', 'follow the job with a progress bar and print its summary')
    .action(async (file: string | undefined, flags: ActivateFlags) => {
      const request = await buildRequest(file, flags);
      const context = await openContext();
      try {
        const { started } = await context.activation.startJob(request);
        console.log(
          `${started ? 'Started' : 'Already exists, not started again:'} job ${request.jobId} (${describeDevices(request)})`,
        );
        console.log(`Web UI: ${webUiLink(request.jobId)}`);
        if (flags.wait) {
          await followJob(context.activation, request.jobId);
          const result = await context.activation.result(request.jobId);
          await printSummary(result, context.activation.report(request.jobId));
        }
      } finally {
        await context.close();
      }
    });
}
