/**
 * What `thingspace-activation status` costs on a big job, while it runs and once it has finished with more devices
 * not activated than its result lists: its groups by outcome and reason from the workflows' counts (now), against
 * the same groups from the whole report (before). Both readings run in turn, in the same stack, a few rounds each.
 *
 *   npx tsx bench/status-cost.ts [--devices 100000] [--failure-rate 0.05] [--drop-rate 0.01] [--rounds 3]
 *                                [--follow-pairs 0] [--skip-status]
 *
 * The running job: `--drop-rate` of its callbacks are never sent and it waits an hour for them, so it is read
 * while those devices are open. The finished one (other devices of the same account, nothing dropped) ends once
 * every callback is in. Both fail `--failure-rate` of their devices. `--follow-pairs N` then runs N pairs of jobs,
 * one followed by `activate --wait`'s bar and one not, in alternating order, and prints each one's wall time and
 * worker CPU.
 */
import { parseArgs } from 'node:util';
import { ActivationClient } from '../src/client.js';
import type { JobProgress } from '../src/activation/job-result.js';
import { pendingReason, type OutcomeGroup } from '../src/activation/outcome-groups.js';
import { notActivatedGroups } from '../src/cli/jobs.js';
import { tallyReport } from '../src/cli/outcome-groups.js';
import { registerCallbacks } from '../src/cli/register-callbacks.js';
import { followJob } from '../src/cli/progress-bar.js';
import { eventually } from '../test/harness/eventually.js';
import type { Child } from './processes.js';
import { startStack, type BlockAccount, type Stack } from './stack.js';

const { values: args } = parseArgs({
  options: {
    devices: { type: 'string', default: '100000' },
    'failure-rate': { type: 'string', default: '0.05' },
    'drop-rate': { type: 'string', default: '0.01' },
    rounds: { type: 'string', default: '3' },
    /** Also pairs of jobs run with and without `activate --wait`'s bar following them (followJob). */
    'follow-pairs': { type: 'string', default: '0' },
    'skip-status': { type: 'boolean', default: false },
  },
});
const DEVICES = Number(args.devices);
const ROUNDS = Number(args.rounds);
const FOLLOW_PAIRS = Number(args['follow-pairs']);
const say = (line: string) => console.error(line);

interface Reading {
  seconds: number;
  workerCpuSeconds: number;
  groups: OutcomeGroup[];
}

async function main() {
  const stack = await startStack([], [(2 + 2 * FOLLOW_PAIRS) * DEVICES], say);
  const children: Child[] = [];
  try {
    const account = stack.blockAccounts[0]!;
    const taskQueue = 'bench-status';
    const { child: worker } = await stack.startWorker('status-worker', taskQueue);
    children.push(worker);
    const { child: webhook, port } = await stack.startWebhook('status-webhook', taskQueue);
    children.push(webhook);
    await registerCallbacks(stack.thingspace(account.name), {
      url: `http://127.0.0.1:${port}`,
      credentials: stack.credentials,
      accountName: account.name,
    });
    const activation = new ActivationClient(stack.client, taskQueue);
    const measure = async (read: () => Promise<OutcomeGroup[]>): Promise<Reading> => {
      const cpu = worker.cpuSeconds() ?? 0;
      const started = performance.now();
      const groups = await read();
      return {
        seconds: (performance.now() - started) / 1000,
        workerCpuSeconds: (worker.cpuSeconds() ?? 0) - cpu,
        groups,
      };
    };
    /** As `status` reads them now, and as it did before (the whole report, whatever the job kept). */
    const readings = {
      counts: (jobId: string) =>
        measure(async () => notActivatedGroups(activation, await activation.liveProgress(jobId))),
      report: (jobId: string) =>
        measure(async () => {
          await activation.liveProgress(jobId);
          return (await tallyReport(activation.report(jobId), 0)).groups();
        }),
    };
    const compare = async (title: string, jobId: string) => {
      for (let round = 1; round <= ROUNDS; round++) {
        // Alternated, so neither always reads a worker the other has just warmed.
        const order = round % 2 === 1 ? (['counts', 'report'] as const) : (['report', 'counts'] as const);
        const got: Partial<Record<keyof typeof readings, Reading>> = {};
        for (const way of order) got[way] = await readings[way](jobId);
        const { counts, report } = got as Record<keyof typeof readings, Reading>;
        console.log(
          `${title}, round ${round}: from the counts ${counts.seconds.toFixed(2)} s (worker ${counts.workerCpuSeconds.toFixed(2)} CPU-s); ` +
            `from the whole report ${report.seconds.toFixed(2)} s (worker ${report.workerCpuSeconds.toFixed(2)} CPU-s)`,
        );
        if (round === 1)
          console.log(`  groups: ${JSON.stringify(counts.groups)}\n  report: ${JSON.stringify(report.groups)}`);
        checkSame(counts.groups, report.groups);
      }
    };

    const failureRate = Number(args['failure-rate']);
    if (!args['skip-status']) {
      await stack.configure({ outcomes: { failureRate, dropRate: Number(args['drop-rate']) } });
      const running = await startJob(activation, account, 0, '1 hour');
      const progress = await settledAsFarAsItGoes(stack, activation, running);
      console.log(`running job of ${DEVICES} devices: ${JSON.stringify(progress.counts)}`);
      await compare('running', running);

      await stack.configure({ outcomes: { failureRate, dropRate: 0 } });
      const finished = await startJob(activation, account, DEVICES, '5 minutes');
      const result = await activation.job(finished).result();
      console.log(
        `finished job of ${DEVICES} devices: ${JSON.stringify(result.counts)}, its result lists ` +
          `${result.notActivated.length} devices not activated (cut short: ${result.notActivatedTruncated})`,
      );
      await compare('finished', finished);
      await activation.job(running).terminate('bench over');
    }
    await stack.configure({ outcomes: { failureRate, dropRate: 0 } });
    for (let pair = 1; pair <= FOLLOW_PAIRS; pair++) {
      const order = pair % 2 === 1 ? [false, true] : [true, false];
      for (const [i, followed] of order.entries()) {
        const from = (2 + 2 * (pair - 1) + i) * DEVICES;
        const cpu = worker.cpuSeconds() ?? 0;
        const started = performance.now();
        const jobId = await startJob(activation, account, from, '5 minutes');
        // As `activate --wait` follows a job (its bar goes to standard error).
        if (followed) await followJob(activation, jobId);
        await activation.job(jobId).result();
        console.log(
          `follow pair ${pair}: ${followed ? 'followed by the bar' : 'not followed'}: ` +
            `${((performance.now() - started) / 1000).toFixed(1)} s, worker ${((worker.cpuSeconds() ?? 0) - cpu).toFixed(1)} CPU-s`,
        );
      }
    }
  } finally {
    // The stack stops only what it started itself.
    for (const child of children) await child.stop();
    await stack.stop();
  }
}

async function startJob(activation: ActivationClient, account: BlockAccount, from: number, callbackTimeout: string) {
  const jobId = `bench-status-${from}-${Date.now()}`;
  await activation.startJob({
    jobId,
    accountName: account.name,
    activation: { servicePlan: '4G-IoT-1GB', mdnZipCode: '98801' },
    devices: account.devices(from, DEVICES),
    options: { maxDevicesPerRequest: 10_000, callbackTimeout, pollInterval: '5 seconds' },
  });
  return jobId;
}

/** Waits until every request was submitted and no callback has come for 10 s: what is open then stays open. */
async function settledAsFarAsItGoes(stack: Stack, activation: ActivationClient, jobId: string): Promise<JobProgress> {
  let last = -1;
  return eventually(
    'the running job to settle all but its dropped devices',
    async () => {
      const { acknowledged } = await stack.callbackStats();
      const progress = await activation.progress(jobId);
      const submitted = (progress.parts ?? []).every((part) => part.submitted);
      const quiet = acknowledged === last;
      last = acknowledged;
      if (!submitted || !quiet || acknowledged === 0) {
        await new Promise((resolve) => setTimeout(resolve, 10_000));
        return undefined;
      }
      return activation.liveProgress(jobId);
    },
    30 * 60_000,
  );
}

/**
 * The report shows an open device as `unresolved` with a `pending …` reason; the counts show it as `pending`.
 * Everything else must agree.
 */
function checkSame(counts: OutcomeGroup[], report: OutcomeGroup[]): void {
  const asReport = counts.map((g) =>
    g.outcome === 'pending'
      ? { ...g, outcome: 'unresolved', reasons: g.reasons.map((r) => ({ ...r, reason: pendingReason(r.reason) })) }
      : g,
  );
  const flat = (groups: OutcomeGroup[]) =>
    groups
      .flatMap((g) => g.reasons.map((r) => `${g.outcome}\t${r.reason}\t${r.count}`))
      .sort()
      .join('\n');
  if (flat(asReport) !== flat(report))
    throw new Error(`the two readings differ:\n${flat(asReport)}\n---\n${flat(report)}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
