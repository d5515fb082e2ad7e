import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
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
  wait?: boolean;
}

/** The same file and settings give the same job ID, so running the command twice cannot activate twice. */
function derivedJobId(request: Omit<JobRequestInput, 'jobId'>): string {
  return `activation-${createHash('sha256').update(JSON.stringify(request)).digest('hex').slice(0, 20)}`;
}

async function buildRequest(file: string, flags: ActivateFlags): Promise<JobRequestInput> {
  const { devices, sources, problems: formatProblems } = await readDeviceFile(file);
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
    devices,
    ...(Object.keys(options).length > 0 && { options }),
  };
  const request: JobRequestInput = { jobId: flags.jobId ?? derivedJobId(body), ...body };

  // The device rules and the whole-request ones (duplicates across rows, settings) in one pass, at the file's lines.
  const parsed = JobRequestSchema.safeParse(request);
  const problems = [
    ...formatProblems,
    ...(parsed.success ? [] : parsed.error.issues.map((issue) => accountHint(problemAt(sources, issue)))),
  ];
  if (problems.length > 0) throw new DeviceFileError(file, problems);
  return request;
}

function accountHint(problem: Problem): Problem {
  return problem.message.startsWith('accountName:')
    ? { ...problem, message: `${problem.message} (--account or THINGSPACE_ACCOUNT_NAME)` }
    : problem;
}

export function activateCommand(): Command {
  return new Command('activate')
    .description('activate the devices listed in a CSV or JSON file (columns: imei, iccid, eid, …, ipAddress, nbIot)')
    .argument('<file>', 'devices, as CSV with a header row or as JSON')
    .option('--job-id <id>', 'the job key (default: derived from the file and settings, so a rerun finds the same job)')
    .option('--account <name>', 'ThingSpace billing account (default: THINGSPACE_ACCOUNT_NAME)')
    .option('--service-plan <plan>', 'service plan code')
    .option('--mdn-zip-code <zip>', 'ZIP code the MDNs are derived from')
    .option('--sku-number <sku>', 'SKU, for ICCID-only activation')
    .option('--carrier-ip-pool-name <pool>', 'private IP pool, required with ipAddress')
    .option('--group-name <name>', 'device group')
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
    .action(async (file: string, flags: ActivateFlags) => {
      const request = await buildRequest(file, flags);
      const context = await openContext();
      try {
        const { started } = await context.activation.startJob(request);
        console.log(
          `${started ? 'Started' : 'Already exists, not started again:'} job ${request.jobId} (${request.devices.length} devices)`,
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
