/**
 * `npm run bench [-- --devices 10000 --job-devices 50000 --profile auto|always|never]`: how fast and how big, against
 * the bare baseline, in one run. Starts a Temporal dev server, the simulator, and for each case its own worker(s)
 * and webhook(s) as processes; prints one markdown table and writes it, with the goals and (when a goal is missed)
 * a CPU profile of the worker and webhook, to bench/RESULTS.md. Measures, never asserts: the machine is shared.
 */
import { execFileSync } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as prettier from 'prettier';
import { runBaseline, runTemporalCase, type BaselineFigures, type TemporalCaseFigures } from './cases.js';
import { WARNING } from './measure.js';
import { formatSummary, summariseProfiles } from './profile.js';
import { DATA_DIR, startStack, type Account } from './stack.js';

const { values: args } = parseArgs({
  options: {
    devices: { type: 'string', default: '10000' },
    'job-devices': { type: 'string', default: '50000' },
    profile: { type: 'string', default: 'auto' },
  },
});
const DEVICES = Number(args.devices);
const JOB_DEVICES = Number(args['job-devices']);
const RESULTS = fileURLToPath(new URL('./RESULTS.md', import.meta.url));
/** Everything below this line in RESULTS.md is written by hand and kept when the bench rewrites the file. */
const NOTES_MARKER = '<!-- notes below are kept across runs -->';

const say = (line: string) => console.log(line);
const mb = (bytes: number | undefined) => (bytes === undefined ? '?' : `${Math.round(bytes / 1024 / 1024)}`);
const n = (value: number, digits = 0) =>
  Number.isFinite(value)
    ? value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
    : '—';

interface Figures {
  one: TemporalCaseFigures;
  job: TemporalCaseFigures;
  baseline: BaselineFigures;
  scaled: TemporalCaseFigures;
}

function table(f: Figures): string {
  const cell = (fn: (c: TemporalCaseFigures) => string, base: string) => [fn(f.one), fn(f.job), base, fn(f.scaled)];
  const largestRun = (c: TemporalCaseFigures, type: string) =>
    c.histories.runs.filter((r) => r.type === type).sort((a, b) => b.bytes - a.bytes)[0];
  const history = (c: TemporalCaseFigures, type: string) => {
    const run = largestRun(c, type);
    return run ? `${n(run.events)} / ${n(run.bytes / 1024)} KB` : '—';
  };
  const over = (c: TemporalCaseFigures) => overThresholds(c).length;
  const rows: [string, string[]][] = [
    [
      'devices activated / submitted',
      cell((c) => `${n(c.activated)} / ${n(c.devices)}`, `${n(f.baseline.activated)} / ${n(f.baseline.devices)}`),
    ],
    ['wall time, start to result (s)', cell((c) => n(c.wallSeconds, 1), n(f.baseline.wallSeconds, 1))],
    ['ratio to the bare baseline', cell((c) => `${n(c.wallSeconds / f.baseline.wallSeconds, 2)}×`, '1.00×')],
    [
      'check states (s)',
      cell((c) => n((c.phases.validating ?? 0) + (c.phases.checking ?? 0), 1), n(f.baseline.checkSeconds, 1)),
    ],
    ['submission (s)', cell((c) => n(c.phases.submitting ?? NaN, 1), n(f.baseline.submitSeconds, 1))],
    [
      'waiting for callbacks (s)',
      cell((c) => n(c.phases['awaiting-requests'] ?? NaN, 1), n(f.baseline.callbackSeconds, 1)),
    ],
    ['callbacks per second (delivery window)', cell((c) => n(c.callbacks.perSecond), n(f.baseline.callbacksPerSecond))],
    ['callback sends refused or failed (retried)', cell((c) => n(c.callbacks.failedSends), '0')],
    [
      'request workflows (runs) / callback signals',
      cell((c) => `${c.histories.runs.filter((r) => r.type === 'activationRequest').length} / ${n(c.signals)}`, '—'),
    ],
    ['largest request run: history events / bytes', cell((c) => history(c, 'activationRequest'), '—')],
    ['job run: history events / bytes', cell((c) => history(c, 'activationJob'), '—')],
    ['largest payload (KB)', cell((c) => n(Math.max(...c.histories.runs.map((r) => r.largestPayload)) / 1024), '—')],
    ['runs over a warning threshold', cell((c) => `${over(c)} of ${c.histories.runs.length}`, '—')],
    ['peak RSS, worker(s) (MB)', cell((c) => c.workerPeakRss.map(mb).join(' + '), '—')],
    [
      'largest worker RSS while checking / submitting / awaiting (MB)',
      cell(
        (c) => ['checking', 'submitting', 'awaiting-requests'].map((p) => mb(c.workerRssByPhase[p])).join(' / '),
        '—',
      ),
    ],
    [
      'peak RSS, webhook(s) (MB)',
      cell((c) => c.webhookPeakRss.map(mb).join(' + '), `${mb(f.baseline.peakRssBytes)} (the script)`),
    ],
  ];
  const header = [
    `1. one request, ${n(f.one.devices)}`,
    `2. job of ${n(f.job.devices)}`,
    `3. bare baseline, ${n(f.baseline.devices)}`,
    `4. 2 workers + 2 webhooks, ${n(f.scaled.devices)}`,
  ];
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
  const ratio = f.one.wallSeconds / f.baseline.wallSeconds;
  const all = [f.one, f.job, f.scaled];
  const runs = all.reduce((sum, c) => sum + c.histories.runs.length, 0);
  const over = all.flatMap(overThresholds);
  const rss = Math.max(...f.job.workerPeakRss.map((b) => b ?? Infinity));
  return [
    {
      met: ratio <= 2,
      text: `Case 1 within 2× the bare baseline's wall time: ${n(ratio, 2)}× (${n(f.one.wallSeconds, 1)} s against ${n(f.baseline.wallSeconds, 1)} s)`,
    },
    {
      met: over.length === 0,
      text:
        `No workflow run over Temporal's warning thresholds (10,240 events, 10 MB history, 512 KB payload): ` +
        `${over.length} of ${runs} runs over` +
        (over.length ? ` (${over.map((r) => `${r.workflowId}: ${r.events} events, ${r.bytes} B`).join('; ')})` : ''),
    },
    { met: rss < 512 * 1024 * 1024, text: `Worker peak RSS under 512 MB in case 2: ${mb(rss)} MB` },
  ];
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
  // Each case gets an account of fresh ready devices; the last one is for the profiled re-run of case 1.
  const stack = await startStack([DEVICES, DEVICES, DEVICES, JOB_DEVICES, DEVICES], say);
  const [baseAccount, oneAccount, scaledAccount, jobAccount, profileAccount] = stack.accounts as [
    Account,
    Account,
    Account,
    Account,
    Account,
  ];
  const profileDir = join(DATA_DIR, 'profiles');
  await rm(profileDir, { recursive: true, force: true });
  let figures: Figures;
  let profile = '';
  try {
    say(`3. bare baseline: ${n(DEVICES)} devices …`);
    const baseline = await runBaseline(stack, baseAccount);
    say(`   ${n(baseline.wallSeconds, 1)} s`);
    say(`1. one request of ${n(DEVICES)} devices …`);
    const one = await runTemporalCase(stack, {
      name: 'one',
      account: oneAccount,
      workers: 1,
      webhooks: 1,
      timeoutMs: 300_000,
    });
    say(`   ${n(one.wallSeconds, 1)} s`);
    say(`4. ${n(DEVICES)} devices, two workers and two webhooks behind a round-robin proxy …`);
    const scaled = await runTemporalCase(stack, {
      name: 'scaled',
      account: scaledAccount,
      workers: 2,
      webhooks: 2,
      timeoutMs: 300_000,
    });
    say(`   ${n(scaled.wallSeconds, 1)} s`);
    say(`2. a job of ${n(JOB_DEVICES)} devices …`);
    const job = await runTemporalCase(stack, {
      name: 'job',
      account: jobAccount,
      workers: 1,
      webhooks: 1,
      timeoutMs: 600_000,
    });
    say(`   ${n(job.wallSeconds, 1)} s`);
    figures = { one, job, baseline, scaled };

    const missed = goals(figures).some((g) => !g.met);
    if (args.profile === 'always' || (args.profile === 'auto' && missed)) {
      say(`profiling: case 1 again with --cpu-prof on the worker and the webhook …`);
      const profiled = await runTemporalCase(stack, {
        name: 'profiled',
        account: profileAccount,
        workers: 1,
        webhooks: 1,
        profileDir,
        timeoutMs: 300_000,
      });
      profile = [
        `### CPU profile: case 1 re-run with \`--cpu-prof\` (${n(profiled.wallSeconds, 1)} s with the profiler on)`,
        '',
        'Only samples from the start of the job to its result count (start-up excluded).',
        '',
        formatSummary('worker', await summariseProfiles(join(profileDir, 'worker-1'), profiled.windowUs)),
        '',
        formatSummary('webhook', await summariseProfiles(join(profileDir, 'webhook-1'), profiled.windowUs)),
      ].join('\n');
    }
  } finally {
    await stack.stop();
  }

  const results = table(figures);
  say('');
  say(results);
  const goalLines = goals(figures).map((g) => `- ${g.met ? '**met**' : '**missed**'}: ${g.text}`);
  say('');
  for (const line of goalLines) say(line);
  const previous = await readFile(RESULTS, 'utf8').catch(() => '');
  const notes = previous.includes(NOTES_MARKER) ? previous.slice(previous.indexOf(NOTES_MARKER)) : NOTES_MARKER;
  const document = [
    '# Benchmark results',
    '',
    `\`npm run bench\` on ${machine()}. The whole run took ${n((performance.now() - started) / 1000)} s.`,
    '',
    `Simulator: activation after 100 ms, callbacks at once with 256 concurrent senders, 100 activate requests a minute ` +
      'per account; one ready 4G device = one CarrierService callback. Every case has fresh devices on its own ' +
      'account and fresh worker/webhook processes. "Delivery window": first to last acknowledged callback.',
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
