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

const isDecimal = (id: string) => /^\d+$/.test(id);

const RANK = new Map<string, number>(DEVICE_KEY_PREFERENCE.map((kind, i) => [kind, i]));
const rank = (kind: string) => RANK.get(kind) ?? DEVICE_KEY_PREFERENCE.length;
const byRank = (a: LookupId, b: LookupId) => rank(a.kind) - rank(b.kind);

/** Identifiers a device keeps for life, then line identifiers; the order a device is looked up by. */
export function lookupIds(ref: DeviceRef): LookupId[] {
  const ids: LookupId[] = [];
  for (const d of ref.deviceIds) {
    const id = d.id.trim();
    if (id !== '') ids.push({ kind: d.kind.trim().toLowerCase(), id });
  }
  return ids.length > 1 ? ids.sort(byRank) : ids;
}

/**
 * Appends to `out` the best units for the entries in [lo, hi), which all share their first `depth` characters, and
 * returns their cost. Children append in place; a scan that beats them takes their units back off the end.
 */
function solve(
  entries: Entry[],
  lo: number,
  hi: number,
  depth: number,
  kind: string,
  pageSize: number,
  out: LookupUnit[],
): number {
  const first = entries[lo] as Entry;
  if (hi - lo === 1) {
    out.push(direct(first.member, { kind, id: first.id }));
    return 1;
  }
  let maxLength = depth;
  let minLength = Infinity;
  let allChecked = true;
  for (let k = lo; k < hi; k++) {
    const { id, checked } = entries[k] as Entry;
    maxLength = Math.max(maxLength, id.length);
    minLength = Math.min(minLength, id.length);
    allChecked &&= checked;
  }
  const start = out.length;
  let splitCost = 0;
  for (let i = lo; i < hi;) {
    const entry = entries[i] as Entry;
    if (entry.id.length === depth) {
      splitCost += 1;
      out.push(direct(entry.member, { kind, id: entry.id }));
      i++;
      continue;
    }
    const next = entry.id.charCodeAt(depth);
    let j = i + 1;
    while (j < hi && (entries[j] as Entry).id.charCodeAt(depth) === next) j++;
    splitCost += solve(entries, i, j, depth + 1, kind, pageSize, out);
    i = j;
  }
  // A prefix names at most 10^(free digits) identifiers (assuming the account's are like the job's: no longer, and
  // with the check digit the job's all have), a tenth of that when the last of those digits is a check digit.
  const freeDigits = maxLength - depth - (allChecked && minLength === maxLength ? 1 : 0);
  const scanCost = depth === 0 ? Infinity : Math.max(1, Math.ceil(10 ** freeDigits / pageSize));
  if (scanCost < splitCost) {
    out.length = start;
    out.push({ type: 'prefix', kind, prefix: first.id.slice(0, depth) });
    return scanCost;
  }
  return splitCost;
}

/** A unit as the fingerprint hashes it. */
function unitText(unit: LookupUnit): string {
  switch (unit.type) {
    case 'direct':
      return `d|${unit.member}|${unit.id.kind}|${unit.id.id}|${unit.ifMissing ? 1 : 0}`;
    case 'prefix':
      return `p|${unit.kind}|${unit.prefix}`;
    case 'account':
      return 'a';
  }
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
  const keys: string[] = [];
  /** Each first occurrence's identifiers, for its fallbacks; duplicates have none. */
  const idsOf: (LookupId[] | undefined)[] = [];
  devices.forEach((ref, member) => {
    // Duplicates share one canonical key and so one result: look them up once.
    const key = deviceKey(ref.deviceIds) ?? ref.key;
    keys.push(key);
    if (seen.has(key)) return idsOf.push(undefined);
    seen.add(key);
    const ids = lookupIds(ref);
    idsOf.push(ids);
    const primary = ids.find((d) => isDecimal(d.id)) ?? ids[0];
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
    cost += solve(entries, 0, entries.length, 0, kind, pageSize, units);
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
    idsOf.forEach((ids, member) => {
      if (ids === undefined) return; // a duplicate: its first occurrence has the fallbacks
      const primary = primaryOf.get(member) ?? ids.find((d) => isDecimal(d.id)) ?? ids[0];
      for (const id of ids) {
        if (id.kind !== primary?.kind || id.id !== primary.id) all.push(direct(member, id, true));
      }
    });
  }
  const hash = createHash('sha256');
  hash.update(`${devices.length}|${fallbackFrom}|${keys.join('\n')}\n`);
  for (const unit of all) hash.update(`${unitText(unit)}\n`);
  return {
    units: all,
    fallbackFrom,
    estimatedCalls: accountScan ? (options.accountScanCalls ?? Infinity) : cost,
    fingerprint: hash.digest('base64url').slice(0, 22),
  };
}
