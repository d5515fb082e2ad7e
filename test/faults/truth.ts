/**
 * Checks a finished job's full report against the simulator's own record of every device: the outcome (and the
 * NIDD column of NB-IoT devices), that every device was submitted for activation at most once, and that every
 * callback the simulator saw acknowledged is reflected in the report.
 */
import type { DeviceReport } from '../../src/activation/model.js';
import type { DeviceTruth, RunningSimulator } from '../../src/simulator/index.js';
import { deviceKey } from '../../src/thingspace/schemas/device-key.js';

export interface TruthCheck {
  devices: number;
  wrong: string[];
  duplicates: number;
  /** Devices with an acknowledged callback that the report does not reflect. */
  callbacksLost: string[];
}

/** A device the simulator never received may be reported skipped, unconfirmed, or failed because it was refused. */
function notSubmittedOk(row: DeviceReport): boolean {
  if (row.outcome === 'skipped' || row.outcome === 'unconfirmed') return true;
  return row.outcome === 'failed' && /^(activate refused|not submitted)/.test(row.reason ?? '');
}

/**
 * Waits until the simulator has sent every callback it owes, so that one coming after the job ended (and dropped as
 * late) counts too: a check right at the job's end would miss exactly those.
 */
export async function checkAgainstTruth(sim: RunningSimulator, report: DeviceReport[]): Promise<TruthCheck> {
  await sim.admin.settled();
  return checkAgainstDevices(sim.admin.devices({}), report);
}

/** The same check against the simulator's device records as its admin API returns them (GET /admin/devices). */
export function checkAgainstDevices(devices: DeviceTruth[], report: DeviceReport[]): TruthCheck {
  const truth = new Map(devices.map((d) => [deviceKey(d.deviceIds), d]));
  const wrong: string[] = [];
  const callbacksLost: string[] = [];
  let duplicates = 0;
  for (const row of report) {
    const device = truth.get(row.key);
    if (!device) {
      if (row.outcome !== 'skipped') wrong.push(`${row.key}: unknown to the simulator but reported ${row.outcome}`);
      continue;
    }
    if (device.submissions > 1) duplicates++;
    if (device.submissions === 0) {
      if (!notSubmittedOk(row)) wrong.push(`${row.key}: never submitted but reported ${row.outcome} (${row.reason})`);
      continue;
    }
    // The outcome follows the line; an NB-IoT device whose NIDD set-up failed is active (and billed): activated.
    const expected = device.state.toLowerCase() === 'active' && device.activations === 1 ? 'activated' : 'failed';
    if (row.outcome !== expected)
      wrong.push(`${row.key}: reported ${row.outcome}, simulator says ${expected} (state ${device.state})`);
    const nidd = device.callbacks.NiddService;
    if (device.type === 'NB-IoT' && nidd?.acknowledged) {
      const niddExpected = nidd.status === 'ConfigCreated' ? 'success' : 'failed';
      if (row.nidd !== niddExpected) {
        wrong.push(`${row.key}: NIDD reported ${row.nidd ?? 'nothing'}, simulator sent ${nidd.status}`);
        callbacksLost.push(`${row.key}: NiddService`);
      }
    }
    const carrier = device.callbacks.CarrierService;
    if (carrier?.acknowledged) {
      const said = carrier.status === 'Success' ? 'activated' : 'failed';
      if (row.outcome !== said) callbacksLost.push(`${row.key}: CarrierService said ${said}, report ${row.outcome}`);
    }
  }
  return { devices: report.length, wrong, duplicates, callbacksLost };
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
