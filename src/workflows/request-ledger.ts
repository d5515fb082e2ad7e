/**
 * The per-device book of one ThingSpace request: which callbacks arrived, which devices are settled, and the
 * report. Pure and deterministic, so the request workflow stays a thin shell around it and it is unit-testable.
 */
import type {
  CallbackRecord,
  DeviceReport,
  ExpectedDevice,
  LedgerEntryState,
  OutcomeCounts,
} from '../activation/model.js';
import { buildDeviceKeyIndex, matchDeviceKey } from '../thingspace/schemas/device-key.js';

/** `report` is set once the device's outcome is final; later callbacks for it change nothing. */
interface Entry extends LedgerEntryState {
  device: ExpectedDevice;
}

export interface ApplyResult {
  applied: number;
  duplicates: number;
  unknown: number;
}

export class RequestLedger {
  private readonly entries = new Map<string, Entry>();
  /** Any identifier key (kinds arrive as `IMEI`, `imei`, `iccId` …) → the device's canonical key. */
  private readonly index: Map<string, string>;
  private settledCount = 0;

  /** `device.key` must be the canonical `deviceKey(device.deviceIds)`; `saved` comes from `snapshot()`. */
  constructor(devices: readonly ExpectedDevice[], saved: readonly [string, LedgerEntryState][] = []) {
    for (const device of devices) this.entries.set(device.key, { device });
    this.index = buildDeviceKeyIndex(devices.map((device) => device.deviceIds));
    for (const [key, state] of saved) {
      const entry = this.entries.get(key);
      if (!entry) continue;
      Object.assign(entry, state);
      if (entry.report) this.settledCount++;
    }
  }

  /** The state of every device something was heard of, for the workflow's next run. */
  snapshot(): [string, LedgerEntryState][] {
    const saved: [string, LedgerEntryState][] = [];
    for (const [key, { carrier, nidd, report }] of this.entries) {
      if (carrier || nidd || report)
        saved.push([key, { ...(carrier && { carrier }), ...(nidd && { nidd }), ...(report && { report }) }]);
    }
    return saved;
  }

  get size(): number {
    return this.entries.size;
  }

  allSettled(): boolean {
    return this.settledCount === this.entries.size;
  }

  /** Applies a batch; a repeat of a (service, device) pair already seen is a ThingSpace resend and is ignored. */
  apply(records: readonly CallbackRecord[]): ApplyResult {
    const result: ApplyResult = { applied: 0, duplicates: 0, unknown: 0 };
    for (const record of records) {
      const entry = this.find(record);
      if (!entry) {
        result.unknown++;
        continue;
      }
      const slot = record.service === 'CarrierService' ? 'carrier' : 'nidd';
      if (entry[slot] || entry.report) {
        result.duplicates++;
        continue;
      }
      entry[slot] = record;
      result.applied++;
      this.settleFromCallbacks(entry);
    }
    return result;
  }

  /** Settles a device from a poll of ThingSpace (list state or activation history). */
  settleFromPoll(key: string, report: Omit<DeviceReport, 'key' | 'deviceIds' | 'source'>): void {
    const entry = this.entries.get(key);
    if (entry && !entry.report) this.settle(entry, { ...report, source: 'poll' });
  }

  unsettled(): ExpectedDevice[] {
    return [...this.entries.values()].filter((entry) => !entry.report).map((entry) => entry.device);
  }

  /** What is still open when waiting and polling are over is reported unresolved, with what was heard so far. */
  closeUnresolved(reason: string): void {
    for (const entry of this.entries.values()) {
      if (!entry.report) this.settle(entry, { ...this.heard(entry), outcome: 'unresolved', reason });
    }
  }

  counts(): OutcomeCounts {
    const counts: OutcomeCounts = {
      total: this.entries.size,
      activated: 0,
      failed: 0,
      skipped: 0,
      unresolved: 0,
      pending: 0,
    };
    for (const entry of this.entries.values()) {
      if (entry.report) counts[entry.report.outcome]++;
      else counts.pending++;
    }
    return counts;
  }

  /** Reports in request order; a device not yet settled shows as unresolved with what was heard so far. */
  page(offset: number, limit: number): DeviceReport[] {
    return [...this.entries.values()].slice(offset, offset + limit).map(
      (entry) =>
        entry.report ?? {
          key: entry.device.key,
          deviceIds: entry.device.deviceIds,
          ...this.heard(entry),
          outcome: 'unresolved',
          reason: 'pending',
        },
    );
  }

  failures(limit: number): DeviceReport[] {
    const failed: DeviceReport[] = [];
    for (const entry of this.entries.values()) {
      if (failed.length >= limit) break;
      if (entry.report && entry.report.outcome !== 'activated') failed.push(entry.report);
    }
    return failed;
  }

  private find(record: CallbackRecord): Entry | undefined {
    const key = matchDeviceKey(this.index, record.deviceIds) ?? matchDeviceKey(this.index, record.assignedIds);
    return key === undefined ? undefined : this.entries.get(key);
  }

  private heard(entry: Entry): Omit<DeviceReport, 'key' | 'deviceIds' | 'outcome'> {
    const { carrier, nidd } = entry;
    return {
      assignedIds: carrier?.assignedIds ?? [],
      ...(carrier?.ipAddress !== undefined && { ipAddress: carrier.ipAddress }),
      ...(carrier?.state !== undefined && { state: carrier.state }),
      ...(carrier?.servicePlan !== undefined && { servicePlan: carrier.servicePlan }),
      ...(nidd && { nidd: nidd.success ? ('success' as const) : ('failed' as const) }),
    };
  }

  private settleFromCallbacks(entry: Entry): void {
    const { carrier, nidd, device } = entry;
    if (!carrier) return;
    const heard = { ...this.heard(entry), source: 'callback' as const };
    if (!carrier.success) {
      this.settle(entry, { ...heard, outcome: 'failed', reason: carrier.reason ?? `CarrierService ${carrier.status}` });
    } else if (device.nbIot !== true) {
      this.settle(entry, { ...heard, outcome: 'activated' });
    } else if (nidd) {
      this.settle(
        entry,
        nidd.success
          ? { ...heard, outcome: 'activated' }
          : {
              ...heard,
              outcome: 'failed',
              reason: `NiddService ${nidd.status}${nidd.reason ? `: ${nidd.reason}` : ''}`,
            },
      );
    }
  }

  private settle(entry: Entry, report: Omit<DeviceReport, 'key' | 'deviceIds'>): void {
    entry.report = { key: entry.device.key, deviceIds: entry.device.deviceIds, ...report };
    this.settledCount++;
  }
}
