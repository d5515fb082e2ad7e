import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { Command, Option } from 'commander';
import { stringify } from 'csv-stringify/sync';
import type { DeviceReport } from '../activation/model.js';
import { listsEveryNotActivated, type JobPartSummary, type JobProgress } from '../activation/job-result.js';
import type { OutcomeGroup } from '../activation/outcome-groups.js';
import { openContext, webUiLink } from './context.js';
import type { ActivationClient } from '../client.js';
import { resolvingLine, selectionLine } from './summary.js';
import { formatGroups, OutcomeTally, tallyReport } from './outcome-groups.js';
import { withReadingBar } from './progress-bar.js';
import { lateInboxesOfJob } from './inboxes.js';

const COLUMNS = [
  'key',
  'outcome',
  'reason',
  'mdn',
  'msisdn',
  'imsi',
  'iccid',
  'ipAddress',
  'state',
  'servicePlan',
  'nidd',
  'niddReason',
] as const;

function flatten(device: DeviceReport): Record<(typeof COLUMNS)[number], string> {
  const assigned = (kind: string) => device.assignedIds.find((id) => id.kind.toLowerCase() === kind)?.id ?? '';
  const own = (kind: string) => device.deviceIds.find((id) => id.kind.toLowerCase() === kind)?.id ?? '';
  return {
    key: device.key,
    outcome: device.outcome,
    reason: device.reason ?? '',
    mdn: assigned('mdn'),
    msisdn: assigned('msisdn'),
    imsi: assigned('imsi'),
    iccid: own('iccid') || assigned('iccid'),
    ipAddress: device.ipAddress ?? '',
    state: device.state ?? '',
    servicePlan: device.servicePlan ?? '',
    nidd: device.nidd ?? '',
    niddReason: device.niddReason ?? '',
  };
}

async function withContext(fn: (context: Awaited<ReturnType<typeof openContext>>) => Promise<void>) {
  const context = await openContext();
  try {
    await fn(context);
  } finally {
    await context.close();
  }
}

/**
 * The devices not activated, by outcome and reason: from the job's counts when its workers kept them (`progress`
 * from liveProgress), else from the result of a completed job that lists them all, else from the whole report,
 * which for a million devices takes minutes and replays every request workflow.
 */
export async function notActivatedGroups(activation: ActivationClient, progress: JobProgress): Promise<OutcomeGroup[]> {
  if (progress.notActivatedGroups) return progress.notActivatedGroups;
  const result = await activation.completedResult(progress.jobId);
  if (result && listsEveryNotActivated(result)) return new OutcomeTally(0).add(result.notActivated).groups();
  return (await tallyReport(withReadingBar(activation.report(progress.jobId), progress.counts.total), 0)).groups();
}

export function statusCommand(): Command {
  return new Command('status')
    .description("show a job's phase, counts per outcome and ThingSpace requests")
    .argument('<jobId>')
    .option('--json', 'print JSON')
    .action((jobId: string, flags: { json?: boolean }) =>
      withContext(async ({ client, activation }) => {
        const progress = await activation.liveProgress(jobId);
        if (flags.json) return console.log(JSON.stringify(progress, null, 2));
        const { counts } = progress;
        console.log(`Job ${jobId}: ${progress.phase}`);
        console.log(
          `  ${counts.total} devices: ${counts.activated} activated, ${counts.failed} failed, ${counts.skipped} skipped, ${counts.unresolved} unresolved, ${counts.pending} pending`,
        );
        if (progress.selection) {
          const resolving = progress.phase === 'resolving';
          console.log((resolving ? resolvingLine : selectionLine)(progress.selection));
        }
        if (progress.awaitingNidd) {
          console.log(
            `  waiting for the NiddService callbacks of ${progress.awaitingNidd} failed NB-IoT devices (until the callback timeout)`,
          );
        }
        // Whatever needs acting on first: failures, then unconfirmed, unresolved and skipped, by reason; then the
        // open devices by what was last heard of them.
        const groups = await notActivatedGroups(activation, progress);
        if (groups.length > 0) {
          console.log('  Not activated, by reason (failures first):');
          for (const line of formatGroups(groups, '    ')) console.log(line);
        }
        const late = await lateInboxesOfJob(client, jobId);
        if (late.length > 0) {
          const held = late.reduce((n, inbox) => n + inbox.held, 0);
          console.log(
            `  ${held} callbacks came after their request closed, not in the report: kept in ${late.length} late ` +
              `inboxes (thingspace-activation inboxes)`,
          );
        }
        for (const r of progress.requests)
          console.log(`  request ${r.requestId}: ${r.devices} devices${r.counts ? ' (done)' : ''}`);
        for (const part of progress.parts ?? [])
          console.log(`  part ${part.jobId}: ${part.devices} devices (${partState(part)})`);
        console.log(`  Web UI: ${webUiLink(jobId)}`);
      }),
    );
}

export function reportCommand(): Command {
  return new Command('report')
    .description('the per-device report of a job')
    .argument('<jobId>')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json', 'csv']).default('table'))
    .option('--output <file>', 'write to a file instead of standard output')
    .action((jobId: string, flags: { format: 'table' | 'json' | 'csv'; output?: string }) =>
      withContext(async ({ activation }) => {
        const out = flags.output ? createWriteStream(flags.output) : process.stdout;
        let written = 0;
        if (flags.format === 'json') out.write('[');
        // A bar on standard error, unless the report itself goes to the same terminal.
        const pages =
          flags.output !== undefined || !process.stdout.isTTY
            ? withReadingBar(activation.report(jobId), (await activation.progress(jobId)).counts.total)
            : activation.report(jobId);
        for await (const page of pages) {
          const rows = page.map(flatten);
          const first = written === 0;
          if (flags.format === 'csv') out.write(stringify(rows, { header: first, columns: [...COLUMNS] }));
          else if (flags.format === 'json')
            out.write(page.map((d, i) => `${first && i === 0 ? '' : ','}\n${JSON.stringify(d)}`).join(''));
          else out.write(table(rows, first));
          written += page.length;
        }
        if (flags.format === 'json') out.write('\n]\n');
        if (out !== process.stdout) {
          out.end();
          await once(out, 'finish');
        }
      }),
    );
}

function table(rows: Record<string, string>[], header: boolean): string {
  const widths = [26, 11, 40, 12, 15];
  const cells = (values: string[]) => values.map((v, i) => v.slice(0, widths[i]).padEnd(widths[i] ?? 0)).join('  ');
  const lines = rows.map((r) => cells([r.key ?? '', r.outcome ?? '', r.reason ?? '', r.mdn ?? '', r.ipAddress ?? '']));
  return [...(header ? [cells(['device', 'outcome', 'reason', 'mdn', 'ipAddress'])] : []), ...lines].join('\n') + '\n';
}

export function cancelCommand(): Command {
  return new Command('cancel')
    .description('stop submitting a job; requests already accepted by ThingSpace are still followed')
    .argument('<jobId>')
    .action((jobId: string) =>
      withContext(async ({ activation }) => {
        await activation.cancel(jobId);
        console.log(`Cancellation requested for job ${jobId}.`);
      }),
    );
}

function partState(part: JobPartSummary): string {
  if (part.failure) return `failed: ${part.failure}`;
  if (part.counts) return 'done';
  if (part.submitted) return 'submitted, awaiting outcomes';
  return part.started ? 'checking and submitting' : 'waiting for its turn';
}
