/**
 * Summarises the V8 CPU profiles a process wrote with `--cpu-prof` (one file per thread: the Temporal worker runs
 * workflows in worker threads) into self time per function and per package, so RESULTS.md can say where the time
 * went. Also runnable on its own: `npx tsx bench/profile.ts <dir-with-.cpuprofile-files>`.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface CpuProfile {
  /** µs on the monotonic clock, the one process.hrtime reads in every process on the machine. */
  startTime: number;
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  files: number;
  /** Sampled time in ms, idle excluded. */
  busyMs: number;
  functions: { name: string; where: string; ms: number }[];
  packages: { name: string; ms: number }[];
}

const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** `node_modules/@scope/pkg/…` → `@scope/pkg`; our own sources by folder; V8's pseudo-frames as they are. */
function packageOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  const path = url.replace(/^file:\/\//, '');
  const module = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (module) return module[1] as string;
  if (path.startsWith('node:')) return 'node (built-in)';
  if (path.endsWith('workflow-bundle.js')) return 'workflow bundle (src/workflows …)';
  if (path.startsWith(ROOT)) return path.slice(ROOT.length).split('/').slice(0, 2).join('/');
  return path;
}

/** Only samples inside `window` (µs, monotonic) count, so start-up and shutdown do not drown the work itself. */
export async function summariseProfiles(
  dir: string,
  window?: { fromUs: number; toUs: number },
  top = 12,
): Promise<ProfileSummary> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile'));
  const byFunction = new Map<string, { name: string; where: string; ms: number }>();
  const byPackage = new Map<string, number>();
  let busyMs = 0;
  for (const file of files) {
    const profile = JSON.parse(await readFile(join(dir, file), 'utf8')) as CpuProfile;
    const nodes = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
    let at = profile.startTime;
    profile.samples.forEach((id, i) => {
      const frame = nodes.get(id);
      const delta = profile.timeDeltas[i] ?? 0;
      at += delta;
      const ms = delta / 1000;
      if (window && (at < window.fromUs || at > window.toUs)) return;
      if (!frame || frame.functionName === '(idle)') return;
      busyMs += ms;
      const name = frame.functionName || '(anonymous)';
      const where = frame.url ? `${frame.url.replace(/^file:\/\//, '').replace(ROOT, '')}:${frame.lineNumber + 1}` : '';
      const key = `${name}|${where}`;
      const entry = byFunction.get(key) ?? { name, where, ms: 0 };
      entry.ms += ms;
      byFunction.set(key, entry);
      const pkg = packageOf(frame.url, name);
      byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + ms);
    });
  }
  return {
    files: files.length,
    busyMs,
    functions: [...byFunction.values()].sort((a, b) => b.ms - a.ms).slice(0, top),
    packages: [...byPackage.entries()]
      .map(([name, ms]) => ({ name, ms }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, top),
  };
}

export function formatSummary(title: string, summary: ProfileSummary): string {
  const pct = (ms: number) => `${((100 * ms) / summary.busyMs).toFixed(1)} %`;
  const lines = [
    `#### ${title}: ${(summary.busyMs / 1000).toFixed(1)} s of CPU sampled (idle excluded), ${summary.files} thread(s)`,
    '',
    '| Self time by package / area | ms | share |',
    '| --- | ---: | ---: |',
    ...summary.packages.map((p) => `| ${p.name} | ${Math.round(p.ms)} | ${pct(p.ms)} |`),
    '',
    '| Top functions by self time | where | ms | share |',
    '| --- | --- | ---: | ---: |',
    ...summary.functions.map((f) => `| \`${f.name}\` | ${f.where} | ${Math.round(f.ms)} | ${pct(f.ms)} |`),
  ];
  return lines.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const dir = process.argv[2];
  if (!dir) throw new Error('usage: npx tsx bench/profile.ts <dir>');
  console.log(formatSummary(dir, await summariseProfiles(dir)));
}
