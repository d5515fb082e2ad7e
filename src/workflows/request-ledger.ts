/**
 * The per-device book of one ThingSpace request: which callbacks arrived, which devices are settled, and the
 * report. Pure and deterministic, so the request workflow stays a thin shell around it and it is unit-testable.
 */
import type {
  CallbackRecord,
  DeviceReport,
  ExpectedDevice,
  HeardRecord,
  LedgerEntryState,
} from '../activation/model.js';
import { emptyCounts, statusOutcome, type Outcome, type OutcomeCounts } from '../activation/outcomes.js';
import {
  failuresFirst,
  GroupTally,
  NO_REASON,
  PENDING_BECAUSE,
  pendingReason,
  type OutcomeGroup,
} from '../activation/outcome-groups.js';
import { DeviceIdIndex } from '../thingspace/schemas/device-key.js';

/** `report` is set once the device's outcome is final; later callbacks for it change nothing. */
interface Entry extends LedgerEntryState {
  device: ExpectedDevice;
}

export interface ApplyResult {
  applied: number;
  duplicates: number;
  unknown: number;
}

type ReportFields = Omit<DeviceReport, 'key' | 'deviceIds'>;
type Heard = Omit<ReportFields, 'outcome'> & { assignedIds: DeviceReport['assignedIds'] };

/** Distinct words shared (see RequestLedger.words); past it, new ones are kept as they came. */
const MAX_WORDS = 1_000;

export class RequestLedger {
  private readonly entries = new Map<string, Entry>();
  private readonly index: DeviceIdIndex<ExpectedDevice>;
  private settledCount = 0;
  private heardCount = 0;
  /** NB-IoT devices settled failed by their carrier callback whose NiddService callback has not come yet. */
  private niddAwaited = 0;
  private historyCursor = 0;
  /**
   * Kept as devices settle and statuses come, not counted over every device on each read: the request publishes its
   * progress on every callback signal, a 10,000-device count each time.
   */
  private readonly settledOutcomes = new Map<Outcome, number>();
  private readonly settledGroups = new GroupTally();
  /** Open devices by why they are open (pendingBecause). */
  private readonly openBecause = new Map<string, number>();
  /**
   * One copy of each status, state, service plan and identifier kind: JSON gives every callback its own copies of
   * these few values, and 10,000 settled devices kept them all (part of why a cached request held 14 MB).
   */
  private readonly words = new Map<string, string>();

  /** `device.key` must be the canonical `deviceKey(device.deviceIds)`; `saved` comes from `snapshot()`. */
  constructor(devices: readonly ExpectedDevice[], saved: readonly [string, LedgerEntryState][] = []) {
    for (const device of devices) this.entries.set(device.key, { device });
    this.index = new DeviceIdIndex(devices);
    for (const [key, state] of saved) {
      const entry = this.entries.get(key);
      if (!entry) continue;
      Object.assign(entry, state);
      if (entry.report) this.countSettled(entry.report);
      if (entry.carrier || entry.nidd || entry.interim) this.heardCount++;
      if (this.awaitsNidd(entry)) this.niddAwaited++;
    }
    for (const entry of this.entries.values()) if (!entry.report) this.countOpen(entry, 1);
  }

  /** The state of every device something was heard of, for the workflow's next run. */
  snapshot(): [string, LedgerEntryState][] {
    const saved: [string, LedgerEntryState][] = [];
    for (const [key, { carrier, nidd, interim, report }] of this.entries) {
      if (carrier || nidd || interim || report)
        saved.push([
          key,
          {
            ...(carrier && { carrier }),
            ...(nidd && { nidd }),
            ...(interim && { interim }),
            ...(report && { report }),
          },
        ]);
    }
    return saved;
  }

  get size(): number {
    return this.entries.size;
  }

  allSettled(): boolean {
    return this.settledCount === this.entries.size;
  }

  /**
   * NB-IoT devices whose line failed and whose NiddService callback is still to come. ThingSpace sends one for each
   * NB-IoT device in the request (ConfigFailed after a failed activation), and it may come well after the carrier
   * result: a request that ended without it would drop it as late, and the report would lack it.
   */
  awaitingNidd(): number {
    return this.niddAwaited;
  }

  /** Whether any callback at all named a device of this request: proof that ThingSpace took the request. */
  heardAny(): boolean {
    return this.heardCount > 0;
  }

  /**
   * Applies a batch; a repeat of a (service, device) final result already seen is a ThingSpace resend and is
   * ignored. `Pending` and unknown statuses are kept as what was last heard, but settle nothing.
   */
  apply(records: readonly CallbackRecord[]): ApplyResult {
    const result: ApplyResult = { applied: 0, duplicates: 0, unknown: 0 };
    for (const record of records) {
      const entry = this.find(record);
      if (!entry) {
        result.unknown++;
        continue;
      }
      if (!entry.carrier && !entry.nidd && !entry.interim) this.heardCount++;
      const final = statusOutcome(record.status);
      const slot = record.service === 'CarrierService' ? 'carrier' : 'nidd';
      if (final !== 'success' && final !== 'failure') {
        if (slot === 'carrier' && !entry.carrier) {
          if (!entry.report) this.countOpen(entry, -1);
          entry.interim = this.keep(record);
          if (!entry.report) this.countOpen(entry, 1);
        }
        result.applied++;
        continue;
      }
      if (entry[slot]) {
        result.duplicates++;
        continue;
      }
      if (this.awaitsNidd(entry)) this.niddAwaited--;
      entry[slot] = this.keep(record);
      result.applied++;
      if (entry.report) this.enrich(entry);
      else this.settleFromCallbacks(entry);
    }
    return result;
  }

  /** Settles a device from a poll of ThingSpace (list state or activation history), keeping what callbacks said. */
  settleFromPoll(key: string, report: Omit<DeviceReport, 'key' | 'deviceIds' | 'source'>): void {
    const entry = this.entries.get(key);
    if (!entry || entry.report) return;
    const heard = this.heard(entry);
    this.settle(entry, {
      ...report,
      ...heard,
      assignedIds: heard.assignedIds.length > 0 ? heard.assignedIds : report.assignedIds,
      outcome: report.outcome,
      ...(report.reason !== undefined && { reason: report.reason }),
      source: 'poll',
    });
  }

  unsettled(): ExpectedDevice[] {
    return [...this.entries.values()].filter((entry) => !entry.report).map((entry) => entry.device);
  }

  /**
   * The next `limit` unsettled devices for per-device history look-ups, going round the request so that over
   * successive polls every device is looked at, not only the first ones.
   */
  historyBatch(limit: number): ExpectedDevice[] {
    const open = this.unsettled();
    if (open.length <= limit) return open;
    const start = this.historyCursor % open.length;
    this.historyCursor = start + limit;
    const batch = open.slice(start, start + limit);
    return batch.length < limit ? [...batch, ...open.slice(0, limit - batch.length)] : batch;
  }

  /** What is still open when waiting and polling are over is reported unresolved, with what was heard so far. */
  closeUnresolved(reason: string): void {
    this.closeOpen('unresolved', reason);
  }

  /** Closes every open device with `outcome` (unresolved, or unconfirmed when no sign of the request appeared). */
  closeOpen(outcome: Extract<Outcome, 'unresolved' | 'unconfirmed'>, reason: string): void {
    for (const entry of this.entries.values()) {
      if (!entry.report) this.settle(entry, { ...this.heard(entry), outcome, reason });
    }
  }

  counts(): OutcomeCounts {
    const counts = emptyCounts(this.entries.size);
    for (const [outcome, n] of this.settledOutcomes) {
      counts[outcome] += n;
      counts.pending -= n;
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
          reason: pendingReason(this.pendingBecause(entry)),
        },
    );
  }

  /** Devices not activated by outcome and reason, and the open ones (`pending`) by the last status heard. */
  notActivatedGroups(): OutcomeGroup[] {
    const tally = new GroupTally().addGroups(this.settledGroups.groups());
    for (const [because, n] of this.openBecause) tally.add('pending', because, n);
    return tally.groups();
  }

  private pendingBecause({ interim }: Pick<Entry, 'interim'>): string {
    return interim ? PENDING_BECAUSE.lastStatus(interim.status) : PENDING_BECAUSE.nothingHeard;
  }

  private countOpen(entry: Entry, delta: 1 | -1): void {
    const because = this.pendingBecause(entry);
    const n = (this.openBecause.get(because) ?? 0) + delta;
    if (n > 0) this.openBecause.set(because, n);
    else this.openBecause.delete(because);
  }

  private countSettled(report: DeviceReport): void {
    this.settledCount++;
    this.settledOutcomes.set(report.outcome, (this.settledOutcomes.get(report.outcome) ?? 0) + 1);
    if (report.outcome !== 'activated') this.settledGroups.add(report.outcome, report.reason ?? NO_REASON);
  }

  /** The first `limit` devices not activated, failures first (see failuresFirst), in request order within each. */
  failures(limit: number): DeviceReport[] {
    const notActivated: DeviceReport[] = [];
    for (const { report } of this.entries.values())
      if (report && report.outcome !== 'activated') notActivated.push(report);
    return failuresFirst(notActivated).slice(0, limit);
  }

  /** The report's part of a record, its repeated words shared (see `words`); built by assignment (see `heard`). */
  private keep(record: CallbackRecord): HeardRecord {
    const kept: HeardRecord = { status: this.word(record.status), assignedIds: [] };
    for (const { kind, id } of record.assignedIds) kept.assignedIds.push({ kind: this.word(kind), id });
    if (record.reason !== undefined) kept.reason = record.reason;
    if (record.ipAddress !== undefined) kept.ipAddress = record.ipAddress;
    if (record.state !== undefined) kept.state = this.word(record.state);
    if (record.servicePlan !== undefined) kept.servicePlan = this.word(record.servicePlan);
    return kept;
  }

  private word(value: string): string {
    const known = this.words.get(value);
    if (known !== undefined) return known;
    if (this.words.size < MAX_WORDS) this.words.set(value, value);
    return value;
  }

  private find(record: CallbackRecord): Entry | undefined {
    const device = this.index.match(record.deviceIds) ?? this.index.match(record.assignedIds);
    return device === undefined ? undefined : this.entries.get(device.key);
  }

  /**
   * What the callbacks said, as a fresh object the caller may complete and keep: built by assignment, as this runs
   * once per callback and the workflow bundle turns every spread into a helper call (a fifth of the worker's CPU).
   */
  private heard(entry: Entry): Heard {
    const { carrier, nidd } = entry;
    const heard: Heard = { assignedIds: carrier?.assignedIds ?? [] };
    if (carrier?.ipAddress !== undefined) heard.ipAddress = carrier.ipAddress;
    if (carrier?.state !== undefined) heard.state = carrier.state;
    if (carrier?.servicePlan !== undefined) heard.servicePlan = carrier.servicePlan;
    if (nidd) {
      const success = statusOutcome(nidd.status) === 'success';
      heard.nidd = success ? 'success' : 'failed';
      if (!success) heard.niddReason = nidd.reason ?? `NiddService ${nidd.status}`;
    }
    return heard;
  }

  /**
   * The outcome follows the carrier result; NIDD is its own column. An NB-IoT device whose line is active waits
   * for its NIDD result too (until the callback wait ends), so the report can say how the NIDD configuration went.
   */
  private settleFromCallbacks(entry: Entry): void {
    const { carrier, nidd, device } = entry;
    if (!carrier) return;
    const failed = statusOutcome(carrier.status) === 'failure';
    if (!failed && device.nbIot === true && !nidd) return;
    const report: ReportFields = Object.assign(this.heard(entry), {
      source: 'callback' as const,
      outcome: 'activated' as Outcome,
    });
    if (failed) {
      report.outcome = 'failed';
      report.reason = carrier.reason ?? `CarrierService ${carrier.status}`;
    }
    this.settle(entry, report);
    if (this.awaitsNidd(entry)) this.niddAwaited++;
  }

  /** Only a device settled by callback: once the callback window is over, nothing is waited for any more. */
  private awaitsNidd(entry: Entry): boolean {
    return entry.device.nbIot === true && entry.report?.source === 'callback' && !entry.nidd;
  }

  /** A final callback for a device already settled (by polling) adds what it says without changing the outcome. */
  private enrich(entry: Entry): void {
    const report = entry.report;
    if (!report) return;
    const heard = this.heard(entry);
    entry.report = {
      ...heard,
      ...report,
      assignedIds: report.assignedIds.length > 0 ? report.assignedIds : heard.assignedIds,
      ...(heard.nidd !== undefined && { nidd: heard.nidd }),
      ...(heard.niddReason !== undefined && { niddReason: heard.niddReason }),
    };
  }

  private settle(entry: Entry, report: ReportFields): void {
    this.countOpen(entry, -1);
    entry.report = Object.assign({ key: entry.device.key, deviceIds: entry.device.deviceIds }, report);
    this.countSettled(entry.report);
  }
}
