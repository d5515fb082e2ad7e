/**
 * Plans the `devices/actions/list` calls that find a job's devices, at a cost that follows the job, not the account.
 *
 * ThingSpace has no "look up these devices" call, but the list endpoint takes one `deviceId` (a direct look-up,
 * one call per device) or identifier filters (`startswith`). A prefix shared by several of the job's devices names
 * at most alphabet^(free digits) identifiers of that kind, whatever the account holds, and a tenth of that when the
 * last digit is a check digit (IMEI, ICCID): a 15-digit IMEI prefix of 11 digits matches at most 1,000 devices,
 * two pages. Over the job's sorted identifiers, each prefix is either
 * scanned (bounded pages) or split into longer prefixes, down to direct look-ups: whichever is cheaper. The plan
 * therefore never costs more than one call per device, and far less when the devices cluster (consecutive serials,
 * one batch of SIMs), as real fleets do.
 */
import { createHash } from 'node:crypto';
import { DEVICE_KEY_PREFERENCE, deviceKey } from '../thingspace/schemas/device-key.js';
import { hasLuhnCheckDigit, LUHN_KINDS } from '../thingspace/schemas/luhn.js';
import type { DeviceRef } from './types.js';

/** Devices per list page assumed when costing a scan (the simulator's default; ThingSpace does not document it). */
export const ASSUMED_PAGE_SIZE = 500;

export interface LookupId {
  kind: string;
  id: string;
}

/**
 * One piece of work. `direct`: one call by `deviceId`; when `ifMissing` it runs after every other unit, only if its
 * device is still missing (its first identifier was not in the account: try the others, as a full scan would).
 * `prefix`: a scan filtered by an identifier prefix. `account`: the whole account.
 */
export type LookupUnit =
  | { type: 'direct'; member: number; id: LookupId; ifMissing: boolean }
  | { type: 'prefix'; kind: string; prefix: string }
  | { type: 'account' };

export interface LookupPlan {
  /** `ifMissing` units come last, from `fallbackFrom` on. */
  units: LookupUnit[];
  fallbackFrom: number;
  /** List calls the plan should take (fallbacks not counted): one per direct unit, the bound for each scan. */
  estimatedCalls: number;
  /** Identifies the plan, so a retry resumes only a cursor written for the very same plan. */
  fingerprint: string;
}

export interface PlanOptions {
  pageSize?: number;
  /** List calls a whole-account scan costs, when known: a plan estimated above it scans the account instead. */
  accountScanCalls?: number;
  forceAccountScan?: boolean;
}

interface Entry {
  id: string;
  member: number;
  /** The id ends in its Luhn check digit, and its kind has one (LUHN_KINDS). */
  checked: boolean;
}

interface Solution {
  cost: number;
  units: LookupUnit[];
}

const isDecimal = (id: string) => /^\d+$/.test(id);

/** Identifiers a device keeps for life, then line identifiers; the order a device is looked up by. */
export function lookupIds(ref: DeviceRef): LookupId[] {
  const ids = ref.deviceIds
    .map((d) => ({ kind: d.kind.trim().toLowerCase(), id: d.id.trim() }))
    .filter((d) => d.id !== '');
  const rank = (kind: string) => {
    const i = (DEVICE_KEY_PREFERENCE as readonly string[]).indexOf(kind);
    return i === -1 ? DEVICE_KEY_PREFERENCE.length : i;
  };
  return ids.sort((a, b) => rank(a.kind) - rank(b.kind));
}

/** Best units for the entries in [lo, hi), which all share their first `depth` characters. */
function solve(entries: Entry[], lo: number, hi: number, depth: number, kind: string, pageSize: number): Solution {
  const first = entries[lo] as Entry;
  if (hi - lo === 1) return { cost: 1, units: [direct(first.member, { kind, id: first.id })] };
  let maxLength = depth;
  let minLength = Infinity;
  let allChecked = true;
  for (let k = lo; k < hi; k++) {
    const { id, checked } = entries[k] as Entry;
    maxLength = Math.max(maxLength, id.length);
    minLength = Math.min(minLength, id.length);
    allChecked &&= checked;
  }
  let split: Solution = { cost: 0, units: [] };
  for (let i = lo; i < hi;) {
    const entry = entries[i] as Entry;
    if (entry.id.length === depth) {
      split.cost += 1;
      split.units.push(direct(entry.member, { kind, id: entry.id }));
      i++;
      continue;
    }
    const next = entry.id[depth];
    let j = i + 1;
    while (j < hi && (entries[j] as Entry).id[depth] === next) j++;
    const child = solve(entries, i, j, depth + 1, kind, pageSize);
    split = { cost: split.cost + child.cost, units: split.units.concat(child.units) };
    i = j;
  }
  // A prefix names at most 10^(free digits) identifiers (assuming the account's are like the job's: no longer, and
  // with the check digit the job's all have), a tenth of that when the last of those digits is a check digit.
  const freeDigits = maxLength - depth - (allChecked && minLength === maxLength ? 1 : 0);
  const scanCost = depth === 0 ? Infinity : Math.max(1, Math.ceil(10 ** freeDigits / pageSize));
  if (scanCost < split.cost) {
    return { cost: scanCost, units: [{ type: 'prefix', kind, prefix: first.id.slice(0, depth) }] };
  }
  return split;
}

function direct(member: number, id: LookupId, ifMissing = false): LookupUnit {
  return { type: 'direct', member, id, ifMissing };
}

/**
 * The plan for `devices` (members are their indexes). Each device is placed under its first decimal identifier in
 * DEVICE_KEY_PREFERENCE order (IMEI, then ICCID …); one without any is looked up directly.
 */
export function planLookup(devices: readonly DeviceRef[], options: PlanOptions = {}): LookupPlan {
  const pageSize = options.pageSize ?? ASSUMED_PAGE_SIZE;
  const byKind = new Map<string, Entry[]>();
  const units: LookupUnit[] = [];
  let cost = 0;
  const seen = new Set<string>();
  devices.forEach((ref, member) => {
    // Duplicates share one canonical key and so one result: look them up once.
    const key = deviceKey(ref.deviceIds) ?? ref.key;
    if (seen.has(key)) return;
    seen.add(key);
    const primary = lookupIds(ref).find((d) => isDecimal(d.id)) ?? lookupIds(ref)[0];
    if (primary === undefined) return;
    if (!isDecimal(primary.id)) {
      units.push(direct(member, primary));
      cost += 1;
      return;
    }
    const list = byKind.get(primary.kind) ?? [];
    list.push({ id: primary.id, member, checked: LUHN_KINDS.has(primary.kind) && hasLuhnCheckDigit(primary.id) });
    byKind.set(primary.kind, list);
  });
  for (const [kind, entries] of byKind) {
    entries.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const solution = solve(entries, 0, entries.length, 0, kind, pageSize);
    units.push(...solution.units);
    cost += solution.cost;
  }
  const accountScan =
    options.forceAccountScan === true || (options.accountScanCalls !== undefined && cost > options.accountScanCalls);
  const primaryUnits: LookupUnit[] = accountScan ? [{ type: 'account' }] : units;
  const fallbackFrom = primaryUnits.length;
  const all = [...primaryUnits];
  if (!accountScan) {
    // A device missing under its first identifier may be in the account under another one.
    const primaryOf = new Map<number, LookupId>();
    for (const unit of units) if (unit.type === 'direct') primaryOf.set(unit.member, unit.id);
    devices.forEach((ref, member) => {
      const key = deviceKey(ref.deviceIds) ?? ref.key;
      if (!seen.delete(key)) return; // a duplicate: its first occurrence has the fallbacks
      const ids = lookupIds(ref);
      const primary = primaryOf.get(member) ?? ids.find((d) => isDecimal(d.id)) ?? ids[0];
      for (const id of ids) {
        if (id.kind !== primary?.kind || id.id !== primary.id) all.push(direct(member, id, true));
      }
    });
  }
  const hash = createHash('sha256');
  hash.update(`${devices.length}|${fallbackFrom}|`);
  for (const ref of devices) hash.update(`${deviceKey(ref.deviceIds) ?? ref.key}\n`);
  for (const unit of all) hash.update(`${JSON.stringify(unit)}\n`);
  return {
    units: all,
    fallbackFrom,
    estimatedCalls: accountScan ? (options.accountScanCalls ?? Infinity) : cost,
    fingerprint: hash.digest('base64url').slice(0, 22),
  };
}
