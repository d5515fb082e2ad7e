/**
 * `npm run bench [-- --devices 10000 --job-devices 50000 --profile auto|always|never --profile-big --cases …]`: how
 * fast and how big, against the bare baseline, in one run. Starts a Temporal dev server, the simulator, and for each
 * case its own worker(s) and webhook(s) as processes; prints one markdown table and writes it, with the goals and
 * (when a goal is missed) a CPU profile of the worker and webhook, to bench/RESULTS.md. Measures, never asserts: the
 * machine is shared.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as prettier from 'prettier';
import {
  runBaseline,
  runTemporalCase,
  type BaselineFigures,
  type CaseFigures,
  type TemporalCase,
  type TemporalCaseFigures,
} from './cases.js';
import { apiFloor } from './floor.js';
import { measureMachineSpeed } from './machine-speed.js';
import { WARNING } from './measure.js';
import { formatSummary, summariseProfiles } from './profile.js';
import { DATA_DIR, startStack, type Account, type ApiLimits } from './stack.js';

const CASE_NAMES = ['baseline', 'one', 'scaled', 'job', 'small', 'big'] as const;
type CaseName = (typeof CASE_NAMES)[number];

const { values: args } = parseArgs({
  options: {
    devices: { type: 'string', default: '10000' },
    'job-devices': { type: 'string', default: '50000' },
    profile: { type: 'string', default: 'auto' },
    /** Also run case 5's worker and webhook under `--cpu-prof`, and print where their CPU went. */
    'profile-big': { type: 'boolean', default: false },
    /** A comma-separated subset of CASE_NAMES, to try one case; RESULTS.md is only rewritten by a run of all. */
    cases: { type: 'string', default: CASE_NAMES.join(',') },
  },
});
const DEVICES = Number(args.devices);
const JOB_DEVICES = Number(args['job-devices']);
/** The big job (issue 12: a million devices), and the account it runs on (at least two million devices). */
const BIG_DEVICES = Number(process.env.BENCH_BIG_DEVICES ?? 1_000_000);
const SMALL_DEVICES = 1_000;
const BIG_ACCOUNT_DEVICES = Number(
  process.env.BENCH_ACCOUNT_DEVICES ?? Math.max(2_000_000, 2 * BIG_DEVICES, BIG_DEVICES + SMALL_DEVICES),
);
const SELECTED = new Set(args.cases.split(',').map((c) => c.trim()));
for (const name of SELECTED) {
  if (!(CASE_NAMES as readonly string[]).includes(name)) {
    throw new Error(`--cases: unknown case ${name}; the cases are ${CASE_NAMES.join(', ')}`);
  }
}
if (BIG_ACCOUNT_DEVICES < BIG_DEVICES + SMALL_DEVICES) {
  throw new Error(`BENCH_ACCOUNT_DEVICES must be at least BENCH_BIG_DEVICES + ${SMALL_DEVICES}`);
}
const ALL_CASES = CASE_NAMES.every((name) => SELECTED.has(name));
const RESULTS = fileURLToPath(new URL('./RESULTS.md', import.meta.url));
/** Everything below this line in RESULTS.md is written by hand and kept when the bench rewrites the file. */
const NOTES_MARKER = '<!-- notes below are kept across runs -->';

const say = (line: string) => console.log(line);
const mb = (bytes: number | undefined) => (bytes === undefined ? '?' : `${Math.round(bytes / 1024 / 1024)}`);
const n = (value: number, digits = 0) =>
  Number.isFinite(value)
    ? value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
    : '—';

interface Column {
  name: CaseName;
  title: string;
  figures: CaseFigures | BaselineFigures;
}

interface Figures {
  columns: Column[];
  limits: ApiLimits;
  bigAccountDevices: number;
}

const ran = (c: Column['figures']): c is TemporalCaseFigures => c.kind === 'temporal';
const column = (f: Figures, name: CaseName) => f.columns.find((c) => c.name === name);

function table(f: Figures): string {
  const baseline = column(f, 'baseline')?.figures as BaselineFigures | undefined;
  const cell = (fn: (c: TemporalCaseFigures) => string, base: (b: BaselineFigures) => string = () => '—') =>
    f.columns.map(({ figures: c }) => (c.kind === 'baseline' ? base(c) : ran(c) ? fn(c) : '—'));
  const largestRun = (c: TemporalCaseFigures, type?: string) =>
    c.histories.runs.filter((r) => type === undefined || r.type === type).sort((a, b) => b.bytes - a.bytes)[0];
  const history = (c: TemporalCaseFigures, type?: string) => {
    const run = largestRun(c, type);
    return run ? `${n(run.events)} / ${n(run.bytes / 1024)} KB` : '—';
  };
  const over = (c: TemporalCaseFigures) => overThresholds(c).length;
  const floor = (devices: number) => apiFloor(devices, f.limits);
  const rows: [string, string[]][] = [
    [
      'devices activated / submitted',
      f.columns.map(({ figures: c }) =>
        c.kind === 'refused' ? `no result / ${n(c.devices)}` : `${n(c.activated)} / ${n(c.devices)}`,
      ),
    ],
    [
      'wall time, start to result (s)',
      cell(
        (c) => n(c.wallSeconds, 1),
        (b) => n(b.wallSeconds, 1),
      ),
    ],
    [
      'ratio to the bare baseline',
      cell(
        (c) => (baseline ? `${n(c.wallSeconds / baseline.wallSeconds, 2)}×` : '—'),
        () => '1.00×',
      ),
    ],
    [
      "ThingSpace's floor: activate requests / seconds",
      f.columns.map(({ figures: c }) => `${floor(c.devices).requests} / ${n(floor(c.devices).seconds, 1)}`),
    ],
    ["ratio to ThingSpace's floor", cell((c) => `${n(c.wallSeconds / floor(c.devices).seconds, 2)}×`)],
    [
      'check states (s)',
      cell(
        (c) => n((c.phases.validating ?? 0) + (c.phases.checking ?? 0), 1),
        (b) => n(b.checkSeconds, 1),
      ),
    ],
    [
      'submission (s)',
      cell(
        (c) => n(c.phases.submitting ?? NaN, 1),
        (b) => n(b.submitSeconds, 1),
      ),
    ],
    [
      'waiting for callbacks (s)',
      cell(
        (c) => n(c.phases['awaiting-requests'] ?? NaN, 1),
        (b) => n(b.callbackSeconds, 1),
      ),
    ],
    [
      'callbacks per second (delivery window)',
      cell(
        (c) => n(c.callbacks.perSecond),
        (b) => n(b.callbacksPerSecond),
      ),
    ],
    [
      'callback sends refused or failed (retried)',
      cell(
        (c) => n(c.callbacks.failedSends),
        () => '0',
      ),
    ],
    ["list calls (the simulator's count for the account)", cell((c) => n(c.listCalls))],
    [
      'request workflows (runs) / callback signals',
      cell((c) => `${c.histories.runs.filter((r) => r.type === 'activationRequest').length} / ${n(c.signals)}`),
    ],
    ['workflow runs in all', cell((c) => n(c.histories.runs.length))],
    [
      'report of every device after the result: devices / s / worker CPU s / worker peak RSS since start (MB)',
      cell((c) =>
        [
          n(c.report.devices),
          n(c.report.seconds, 1),
          n(c.report.workerCpuSeconds, 1),
          n(c.report.workerPeakRss / 1024 / 1024),
        ].join(' / '),
      ),
    ],
    [
      'CPU seconds: worker / webhook / simulator / rest (Temporal, bench) / stolen by other tenants',
      cell((c) =>
        [c.cpu.worker, c.cpu.webhook, c.cpu.simulator, c.cpu.rest, c.cpu.steal].map((x) => n(x, 1)).join(' / '),
      ),
    ],
    [
      'workflow cache: hits / misses (each miss a replay from history)',
      cell((c) => `${n(c.workflowCache.hits)} / ${n(c.workflowCache.misses)}`),
    ],
    ['largest request run: history events / bytes', cell((c) => history(c, 'activationRequest'))],
    ['job run: history events / bytes', cell((c) => history(c, 'activationJob'))],
    ['largest history of any run: events / bytes', cell((c) => history(c))],
    ['largest payload (KB)', cell((c) => n(Math.max(...c.histories.runs.map((r) => r.largestPayload)) / 1024))],
    ['runs over a warning threshold', cell((c) => `${over(c)} of ${c.histories.runs.length}`)],
    ['peak RSS, worker(s) (MB)', cell((c) => c.workerPeakRss.map(mb).join(' + '))],
    [
      'largest worker RSS while checking / submitting / awaiting (MB)',
      cell((c) =>
        ['checking', 'submitting', 'awaiting-requests']
          .map((p) => (c.workerRssByPhase[p] === undefined ? '—' : mb(c.workerRssByPhase[p])))
          .join(' / '),
      ),
    ],
    [
      'peak RSS, webhook(s) (MB)',
      cell(
        (c) => c.webhookPeakRss.map(mb).join(' + '),
        (b) => `${mb(b.peakRssBytes)} (the script)`,
      ),
    ],
    ['largest simulator RSS during the case (MB)', cell((c) => mb(c.simulatorPeakRss))],
  ];
  const header = f.columns.map((c) => c.title);
  return [
    `| | ${header.join(' | ')} |`,
    `| --- | ${header.map(() => '---:').join(' | ')} |`,
    ...rows.map(([label, cells]) => `| ${label} | ${cells.join(' | ')} |`),
  ].join('\n');
}

function overThresholds(c: TemporalCaseFigures) {
  return c.histories.runs.filter(
    (r) => r.events >= WARNING.events || r.bytes >= WARNING.historyBytes || r.largestPayload >= WARNING.payloadBytes,
  );
}

function goals(f: Figures) {
  const out: { met: boolean; text: string }[] = [];
  const baseline = column(f, 'baseline')?.figures;
  const one = column(f, 'one')?.figures;
  if (baseline?.kind === 'baseline' && one && ran(one)) {
    const ratio = one.wallSeconds / baseline.wallSeconds;
    out.push({
      met: ratio <= 2,
      text: `Case 1 within 2× the bare baseline's wall time: ${n(ratio, 2)}× (${n(one.wallSeconds, 1)} s against ${n(baseline.wallSeconds, 1)} s)`,
    });
  }
  const big = column(f, 'big');
  if (big && big.figures.kind !== 'baseline') {
    const floor = apiFloor(big.figures.devices, f.limits);
    const floorText =
      `${n(floor.requests)} activate requests of up to ${n(f.limits.maxDevicesPerActivate)} devices at ` +
      `${f.limits.activateRateLimit.max} per ${n(f.limits.activateRateLimit.windowMs / 1000)} s = ${n(floor.seconds, 1)} s`;
    out.push(
      ran(big.figures)
        ? {
            met: big.figures.wallSeconds <= 5 * floor.seconds,
            text:
              `Case 5 (${n(big.figures.devices)} devices on a ${n(f.bigAccountDevices)}-device account) within 5× ` +
              `ThingSpace's floor (${floorText}): ${n(big.figures.wallSeconds, 1)} s = ` +
              `${n(big.figures.wallSeconds / floor.seconds, 2)}×`,
          }
        : {
            met: false,
            text: `Case 5 (${n(big.figures.devices)} devices) within 5× ThingSpace's floor (${floorText}): no result: ${big.figures.reason}`,
          },
    );
  }
  const small = column(f, 'small')?.figures;
  if (small && small.kind !== 'baseline') {
    out.push(
      ran(small)
        ? {
            met: small.listCalls < 100,
            text: `Case 6 (${n(small.devices)} devices on the ${n(f.bigAccountDevices)}-device account) under 100 list calls: ${n(small.listCalls)}`,
          }
        : { met: false, text: `Case 6 under 100 list calls: no result: ${small.reason}` },
    );
  }
  const cases = f.columns.filter((c) => ran(c.figures)) as (Column & { figures: TemporalCaseFigures })[];
  const runs = cases.reduce((sum, c) => sum + c.figures.histories.runs.length, 0);
  const over = cases.flatMap((c) => overThresholds(c.figures));
  out.push({
    met: over.length === 0,
    text:
      `No workflow run over Temporal's warning thresholds (10,240 events, 10 MB history, 512 KB payload): ` +
      `${over.length} of ${runs} runs over` +
      (over.length
        ? ` (${over
            .slice(0, 5)
            .map((r) =>
              r.error
                ? `${r.workflowId}: history not read: ${r.error}`
                : `${r.workflowId}: ${r.events} events, ${r.bytes} B, payload ${r.largestPayload} B`,
            )
            .join('; ')}${over.length > 5 ? ' …' : ''})`
        : ''),
  });
  const rss = cases.map((c) => ({
    title: c.title,
    bytes: Math.max(...c.figures.workerPeakRss.map((b) => b ?? Infinity)),
  }));
  const worst = rss.sort((a, b) => b.bytes - a.bytes)[0];
  if (worst) {
    out.push({
      met: worst.bytes < 512 * 1024 * 1024,
      text: `Worker peak RSS under 512 MB in every case: largest ${mb(worst.bytes)} MB (${worst.title})`,
    });
  }
  return out;
}

function machine(): string {
  const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).trim();
  return (
    `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, commit ${commit}` +
    `${dirty ? ' (with uncommitted changes)' : ''}; ${cpus().length} cores (${cpus()[0]?.model.trim() ?? '?'}), ` +
    `${Math.round(totalmem() / 1024 ** 3)} GiB, Node.js ${process.version}`
  );
}

async function main() {
  const started = performance.now();
  const speedBefore = measureMachineSpeed();
  say(`machine speed: the reference work took ${n(speedBefore)} ms of CPU (bench/machine-speed.ts)`);
  const wantsBigAccount = SELECTED.has('big') || SELECTED.has('small');
  // Each of cases 1-4 gets an account of fresh ready devices; the fifth is for the profiled re-run of case 1.
  // Cases 5 and 6 share one big account, on devices that do not overlap.
  const profileDir = join(DATA_DIR, 'profiles');
  await rm(profileDir, { recursive: true, force: true });
  const simulatorProfileDir = args['profile-big'] ? join(profileDir, 'simulator') : undefined;
  if (simulatorProfileDir) await mkdir(simulatorProfileDir, { recursive: true });
  const stack = await startStack(
    [DEVICES, DEVICES, DEVICES, JOB_DEVICES, DEVICES],
    wantsBigAccount ? [BIG_ACCOUNT_DEVICES] : [],
    say,
    simulatorProfileDir,
  );
  const [baseAccount, oneAccount, scaledAccount, jobAccount, profileAccount] = stack.accounts as [
    Account,
    Account,
    Account,
    Account,
    Account,
  ];
  /** Where the worker's and the webhook's CPU went within `window` (samples outside it are left out). */
  const profileSummaries = async (window: Parameters<typeof summariseProfiles>[1]) =>
    [
      formatSummary('worker', await summariseProfiles(join(profileDir, 'worker-1'), window)),
      '',
      formatSummary('webhook', await summariseProfiles(join(profileDir, 'webhook-1'), window)),
    ].join('\n');
  const columns: Column[] = [];
  let profile = '';
  const limits = await stack.apiLimits();
  const temporal = async (title: string, spec: TemporalCase & { name: CaseName }) => {
    say(`${title} …`);
    const figures = await runTemporalCase(stack, spec);
    say(
      figures.kind === 'refused'
        ? `   no result: ${figures.reason}`
        : `   ${n(figures.wallSeconds, 1)} s, ${n(figures.listCalls)} list calls, worker ${figures.workerPeakRss.map(mb).join(' + ')} MB, simulator ${mb(figures.simulatorPeakRss)} MB, workflow cache ${n(figures.workflowCache.hits)} hits / ${n(figures.workflowCache.misses)} misses, CPU s worker ${n(figures.cpu.worker, 1)} webhook ${n(figures.cpu.webhook, 1)} simulator ${n(figures.cpu.simulator, 1)} rest ${n(figures.cpu.rest, 1)} steal ${n(figures.cpu.steal, 1)}`,
    );
    columns.push({ name: spec.name, title, figures });
    return figures;
  };
  try {
    if (SELECTED.has('baseline')) {
      say(`3. bare baseline: ${n(DEVICES)} devices …`);
      const baseline = await runBaseline(stack, baseAccount);
      say(`   ${n(baseline.wallSeconds, 1)} s`);
      columns.push({ name: 'baseline', title: `3. bare baseline, ${n(DEVICES)}`, figures: baseline });
    }
    if (SELECTED.has('one')) {
      await temporal(`1. one request, ${n(DEVICES)}`, {
        name: 'one',
        account: oneAccount,
        workers: 1,
        webhooks: 1,
        timeoutMs: 300_000,
      });
    }
    if (SELECTED.has('scaled')) {
      await temporal(`4. 2 workers + 2 webhooks, ${n(DEVICES)}`, {
        name: 'scaled',
        account: scaledAccount,
        workers: 2,
        webhooks: 2,
        timeoutMs: 300_000,
      });
    }
    if (SELECTED.has('job')) {
      await temporal(`2. job of ${n(JOB_DEVICES)}`, {
        name: 'job',
        account: jobAccount,
        workers: 1,
        webhooks: 1,
        timeoutMs: 600_000,
      });
    }
    const big = stack.blockAccounts[0];
    if (big && SELECTED.has('small')) {
      // Devices after the big job's, so both cases activate devices nobody has touched.
      await temporal(`6. job of ${n(SMALL_DEVICES)} on a ${n(big.count)}-device account`, {
        name: 'small',
        account: { name: big.name, devices: big.devices(BIG_DEVICES, SMALL_DEVICES) },
        workers: 1,
        webhooks: 1,
        timeoutMs: 600_000,
      });
    }
    if (big && SELECTED.has('big')) {
      await temporal(`5. job of ${n(BIG_DEVICES)} on a ${n(big.count)}-device account`, {
        name: 'big',
        account: { name: big.name, devices: big.devices(0, BIG_DEVICES) },
        workers: 1,
        webhooks: 1,
        ...(args['profile-big'] && { profileDir }),
        // Callbacks of the last requests queue behind a million others: no poll before they could have arrived.
        callbackTimeout: '30 minutes',
        // Past 20 minutes (20× the floor) the figures so far are reported instead.
        timeoutMs: 1_200_000,
      });
    }

    const bigFigures = columns.find((c) => c.name === 'big')?.figures;
    if (args['profile-big'] && bigFigures?.kind === 'temporal') {
      say(await profileSummaries(bigFigures.windowUs));
    }
    const figures = { columns, limits, bigAccountDevices: BIG_ACCOUNT_DEVICES };
    const missed = goals(figures).some((g) => !g.met);
    const caseOne = column(figures, 'one');
    if (caseOne && (args.profile === 'always' || (args.profile === 'auto' && missed))) {
      say(`profiling: case 1 again with --cpu-prof on the worker and the webhook …`);
      const profiled = await runTemporalCase(stack, {
        name: 'profiled',
        account: profileAccount,
        workers: 1,
        webhooks: 1,
        profileDir,
        timeoutMs: 300_000,
      });
      if (profiled.kind === 'temporal') {
        profile = [
          `### CPU profile: case 1 re-run with \`--cpu-prof\` (${n(profiled.wallSeconds, 1)} s with the profiler on)`,
          '',
          'Only samples from the start of the job to its result count (start-up excluded).',
          '',
          await profileSummaries(profiled.windowUs),
        ].join('\n');
      }
    }
  } finally {
    await stack.stop();
  }
  const bigWindow = columns.find((c) => c.name === 'big')?.figures;
  if (simulatorProfileDir && bigWindow?.kind === 'temporal') {
    // Written when the simulator exited, with the stack.
    say(formatSummary('simulator', await summariseProfiles(simulatorProfileDir, bigWindow.windowUs)));
  }

  const speed =
    `the reference work of bench/machine-speed.ts took ${n(speedBefore)} ms of CPU before the cases and ` +
    `${n(measureMachineSpeed())} after`;
  say(`machine speed: ${speed}`);

  // Columns in case-number order, whatever order they ran in.
  const order = ['one', 'job', 'baseline', 'scaled', 'big', 'small'];
  columns.sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
  const figures: Figures = { columns, limits, bigAccountDevices: BIG_ACCOUNT_DEVICES };
  const results = table(figures);
  say('');
  say(results);
  const goalLines = goals(figures).map((g) => `- ${g.met ? '**met**' : '**missed**'}: ${g.text}`);
  say('');
  for (const line of goalLines) say(line);
  if (!ALL_CASES) {
    say(`\nonly some cases ran (--cases ${args.cases}): ${RESULTS} left as it was`);
    return;
  }
  const previous = await readFile(RESULTS, 'utf8').catch(() => '');
  const notes = previous.includes(NOTES_MARKER) ? previous.slice(previous.indexOf(NOTES_MARKER)) : NOTES_MARKER;
  const document = [
    '# Benchmark results',
    '',
    `\`npm run bench\` on ${machine()}. The whole run took ${n((performance.now() - started) / 1000)} s; ` +
      `${speed}.`,
    '',
    `Simulator: activation after 100 ms, callbacks at once with 256 concurrent senders, ` +
      `${limits.activateRateLimit.max} activate requests per ${n(limits.activateRateLimit.windowMs / 1000)} s ` +
      `per account, up to ${n(limits.maxDevicesPerActivate)} devices each; one ready 4G device = one CarrierService ` +
      'callback. Cases 1-4 have fresh devices on an account of their own and fresh worker/webhook processes. Cases ' +
      `5 and 6 run on one account of ${n(BIG_ACCOUNT_DEVICES)} devices (the simulator keeps it as a block of ` +
      'generated devices), on devices that do not overlap. "Delivery window": first to last acknowledged callback. ' +
      "ThingSpace's floor: the activate requests the devices need, at the account's rate limit.",
    '',
    results,
    '',
    '## Goals',
    '',
    ...goalLines,
    '',
    ...(profile ? [profile, ''] : []),
    notes,
    '',
  ].join('\n');
  // Formatted as `npm run lint` checks it, so a fresh run leaves the tree clean.
  const options = (await prettier.resolveConfig(RESULTS)) ?? {};
  await writeFile(RESULTS, await prettier.format(document, { ...options, filepath: RESULTS }));
  say(`\nwritten to ${RESULTS}`);
}

await main();
process.exit(0);
