/**
 * The README's screenshots, from a running demo (`npm run demo -- --keep-running`, run inside tmux):
 *
 *   tmux capture-pane -p -S -300 -t <session> > demo.txt
 *   npx tsx scripts/readme-screenshots.ts --ui http://localhost:8233 --job <jobId> --terminal demo.txt --out docs
 *
 * docs/web-ui-job.png is the job's page in the Web UI; docs/cli-progress.png is the `activate --wait` part of the
 * terminal (from "▶ Activating" to the summary's "Web UI:" line), drawn as a terminal would in headless Chromium.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { launchChromium } from '../test/harness/chromium.js';

const { values } = parseArgs({
  options: {
    ui: { type: 'string', default: 'http://localhost:8233' },
    job: { type: 'string' },
    terminal: { type: 'string' },
    out: { type: 'string', default: 'docs' },
  },
});
if (!values.job || !values.terminal) throw new Error('--job <jobId> and --terminal <file> are required');

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function activateSection(text: string): string {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.startsWith('▶ Activating'));
  const end = lines.findIndex((l, i) => i > start && /^ {2}Web UI: /.test(l));
  if (start === -1 || end === -1) throw new Error('no "▶ Activating … Web UI:" section in the terminal capture');
  return lines.slice(start, end + 1).join('\n');
}

const browser = await launchChromium({ width: 1400, height: 1000 });
try {
  const page = await browser.newPage();
  await page.goto(`${values.ui}/namespaces/default/workflows/${encodeURIComponent(values.job)}`);
  await page.getByText('"phase": "done"').first().waitFor({ timeout: 30_000 });
  await page.screenshot({ path: join(values.out, 'web-ui-job.png') });

  const terminal = activateSection(await readFile(values.terminal, 'utf8'));
  await page.setContent(
    `<body style="margin:0;background:#1e1e1e"><pre id="t" style="display:inline-block;margin:0;padding:16px 20px;` +
      `color:#d4d4d4;background:#1e1e1e;font:14px/1.35 'DejaVu Sans Mono',monospace">$ thingspace-activation activate devices.csv … --wait\n` +
      `${escape(terminal.split('\n').slice(1).join('\n'))}</pre></body>`,
  );
  await page.locator('#t').screenshot({ path: join(values.out, 'cli-progress.png') });
} finally {
  await browser.close();
}
