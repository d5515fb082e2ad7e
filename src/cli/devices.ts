/**
 * `thingspace-activation devices upload <file>`: stores a device list (up to 1,000,000 devices) in the blob store
 * the workers read (BLOB_STORE_URL) and prints its key. A job then names the key in `deviceList`, so callers in any
 * language (`temporal workflow start`, a Go or Python client) start a job of any size with a payload of a few
 * hundred bytes. The list is checked with the job's rules first; nothing is stored if any device breaks one.
 */
import { Command } from 'commander';
import { DeviceListError, storeDeviceList } from '../activation/device-list.js';
import { blobStoreFromEnv } from '../storage/store-from-env.js';
import { DeviceFileError, readDeviceFile } from './device-file.js';
import type { CliIo } from './io.js';

export function devicesCommand(io: CliIo): Command {
  const devices = new Command('devices').description('device lists stored for jobs of any size');
  devices
    .command('upload')
    .description('check and store the devices of a CSV or JSON file; prints the key a job names in "deviceList"')
    .argument('<file>', 'devices, as CSV with a header row or as JSON (the same files as activate)')
    .option('--carrier-ip-pool-name <pool>', 'the IP pool the job will name, when devices have an ipAddress')
    .action(async (file: string, flags: { carrierIpPoolName?: string }) => {
      const read = await readDeviceFile(file);
      if (read.problems.length > 0) throw new DeviceFileError(file, read.problems);
      const store = blobStoreFromEnv(io.env);
      try {
        const stored = await storeDeviceList(store, read.devices, flags, file);
        io.out(`Stored ${stored.devices} devices in ${store.description}.`);
        io.out(`deviceList: ${stored.deviceList}`);
      } catch (err) {
        if (err instanceof DeviceListError) {
          throw new DeviceFileError(
            file,
            err.problems.map((problem) => ({ message: problem.text })),
          );
        }
        throw err;
      } finally {
        await store.close();
      }
    });
  return devices;
}
