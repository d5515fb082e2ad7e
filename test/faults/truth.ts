/**
 * Checks a finished job's full report against the simulator's own record of every device: the outcome, and that
 * every device was submitted for activation at most once (exactly once when it was ready).
 */
import type { DeviceReport } from '../../src/activation/model.js';
import type { DeviceTruth, RunningSimulator } from '../../src/simulator/index.js';
import { deviceKey } from '../../src/thingspace/schemas/device-key.js';

export interface TruthCheck {
  devices: number;
  wrong: string[];
  duplicates: number;
}

export function checkAgainstTruth(sim: RunningSimulator, report: DeviceReport[]): TruthCheck {
  return checkAgainstDevices(sim.admin.devices({}), report);
}

/** The same check against the simulator's device records as its admin API returns them (GET /admin/devices). */
export function checkAgainstDevices(devices: DeviceTruth[], report: DeviceReport[]): TruthCheck {
  const truth = new Map(devices.map((d) => [deviceKey(d.deviceIds), d]));
  const wrong: string[] = [];
  let duplicates = 0;
  for (const row of report) {
    const device = truth.get(row.key);
    if (!device) {
      if (row.outcome !== 'skipped') wrong.push(`${row.key}: unknown to the simulator but reported ${row.outcome}`);
      continue;
    }
    if (device.submissions > 1) duplicates++;
    // An NB-IoT device whose NIDD set-up failed is reported failed although it is active, when we were told so;
    // a NIDD result that never came cannot be known (polling sees only the line state).
    const nidd = device.callbacks.NiddService;
    const niddFailed = device.type === 'NB-IoT' && nidd?.acknowledged === true && nidd.status === 'ConfigFailed';
    const expected =
      device.submissions === 0
        ? 'skipped'
        : device.state.toLowerCase() === 'active' && device.activations === 1 && !niddFailed
          ? 'activated'
          : 'failed';
    if (row.outcome !== expected)
      wrong.push(`${row.key}: reported ${row.outcome}, simulator says ${expected} (state ${device.state})`);
    if (row.outcome === 'skipped' && device.submissions > 0) wrong.push(`${row.key}: skipped but submitted`);
  }
  return { devices: report.length, wrong, duplicates };
}

/** Devices whose CarrierService callback the webhook acknowledged but whose outcome did not come from a callback. */
export function lostCallbacks(devices: DeviceTruth[], report: DeviceReport[]): string[] {
  const rows = new Map(report.map((row) => [row.key, row]));
  return devices
    .filter(
      (d) => d.callbacks.CarrierService?.acknowledged && rows.get(deviceKey(d.deviceIds) ?? '')?.source !== 'callback',
    )
    .map((d) => deviceKey(d.deviceIds) ?? '');
}
