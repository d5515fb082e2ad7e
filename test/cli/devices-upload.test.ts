/** `devices upload` in process: a good file is stored under its content's key, a bad one is refused, naming lines. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeDeviceList } from '../../src/activation/device-list.js';
import { runCli } from '../../src/cli/program.js';
import { FileBlobStore } from '../../src/storage/file-blob-store.js';
import { seedDevice } from '../harness/activation.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'devices-upload-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function upload(rows: string[], extra: string[] = []) {
  const file = join(dir, `devices-${rows.length}.csv`);
  await writeFile(file, ['imei,iccid,ipAddress', ...rows].join('\n') + '\n');
  const out: string[] = [];
  const err: string[] = [];
  const env = { BLOB_STORE_URL: join(dir, 'store') };
  const code = await runCli(['devices', 'upload', file, ...extra], {
    env,
    out: (l) => out.push(l),
    err: (l) => err.push(l),
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}
const row = (n: number, ip = '') =>
  `${seedDevice(n)
    .deviceIds.map((d) => d.id)
    .join(',')},${ip}`;

describe('devices upload', () => {
  it('stores a checked list and prints the key a job names; the same list gets the same key', async () => {
    const rows = Array.from({ length: 1_500 }, (_, i) => row(10 + i));
    const first = await upload(rows);
    expect(first).toMatchObject({ code: 0, err: '' });
    expect(first.out).toContain('Stored 1500 devices in directory');
    const key = /deviceList: (device-lists\/[0-9a-f]{64})$/m.exec(first.out)?.[1];
    const stored = await decodeDeviceList(await new FileBlobStore(join(dir, 'store')).get(key!));
    expect(stored).toHaveLength(1_500);
    expect(stored[0]).toEqual({ deviceIds: seedDevice(10).deviceIds });
    expect((await upload(rows)).out).toContain(key);
  });

  it('refuses a file with a repeated device or an address without a pool, and stores nothing', async () => {
    const before = await readdir(join(dir, 'store', 'device-lists')).catch(() => []);
    const refused = await upload([row(1), row(2, '10.1.2.3'), row(1)]);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/devices\[2\]: device repeats imei of devices\[0\]|devices\[2\].*repeats/);
    expect(refused.err).toMatch(/carrierIpPoolName is required/);
    expect(await readdir(join(dir, 'store', 'device-lists')).catch(() => [])).toEqual(before);
    expect((await upload([row(1), row(2, '10.1.2.3')], ['--carrier-ip-pool-name', 'pool-7'])).code).toBe(0);
  });
});
