/**
 * Canonical device identity. Requests, list results and callbacks spell kinds differently (`imei`, `IMEI`, `iccId`)
 * and name a device by different identifiers, so everything that matches devices goes through these keys.
 * Pure functions over plain data: workflow code imports this module.
 */

/**
 * The one device-identifier type: a kind and an id, as spelled wherever it came from. Each boundary that reads
 * identifiers checks its own rules with a schema (RequestDeviceIdSchema for ids we send, ResponseDeviceIdSchema
 * for ids ThingSpace sends, RecordDeviceIdSchema for callback records); past the boundary they are all this.
 */
export interface DeviceId {
  kind: string;
  id: string;
}

/** A key `kind:id`, both lower-cased and trimmed, e.g. `imei:990013907835573`. */
export type DeviceKey = string;

/** Which identifier names a device when it has several: the ones a device keeps for life come first. */
export const DEVICE_KEY_PREFERENCE = ['imei', 'iccid', 'eid', 'meid', 'esn', 'imsi', 'msisdn', 'mdn', 'min'] as const;

/** How kinds and ids are compared: trimmed, in any case. */
function normalise(value: string): string {
  return value.trim().toLowerCase();
}

export function identifierKey(kind: string, id: string): DeviceKey {
  return `${normalise(kind)}:${normalise(id)}`;
}

/** Every identifier of a device as a key, in the device's own order. */
export function deviceKeys(ids: readonly DeviceId[]): DeviceKey[] {
  return ids.filter((d) => d.id.trim() !== '').map((d) => identifierKey(d.kind, d.id));
}

/** The canonical key of a device: its most stable identifier (see DEVICE_KEY_PREFERENCE), else its first one. */
export function deviceKey(ids: readonly DeviceId[]): DeviceKey | undefined {
  const usable = ids.filter((d) => d.id.trim() !== '');
  for (const kind of DEVICE_KEY_PREFERENCE) {
    const match = usable.find((d) => d.kind.trim().toLowerCase() === kind);
    if (match) return identifierKey(match.kind, match.id);
  }
  const first = usable[0];
  return first ? identifierKey(first.kind, first.id) : undefined;
}

/**
 * Maps every identifier key of the given devices to that device's canonical key, so a callback that names a device
 * by any of its identifiers finds it. Plain Map, cheap to rebuild from the device list after a workflow replays.
 */
export function buildDeviceKeyIndex(devices: Iterable<readonly DeviceId[]>): Map<DeviceKey, DeviceKey> {
  const index = new Map<DeviceKey, DeviceKey>();
  for (const ids of devices) {
    const canonical = deviceKey(ids);
    if (canonical === undefined) continue;
    for (const key of deviceKeys(ids)) if (!index.has(key)) index.set(key, canonical);
  }
  return index;
}

/** The canonical key of the indexed device that any of `ids` names, or undefined. */
export function matchDeviceKey(index: ReadonlyMap<DeviceKey, DeviceKey>, ids: readonly DeviceId[]) {
  for (const key of deviceKeys(ids)) {
    const canonical = index.get(key);
    if (canonical !== undefined) return canonical;
  }
  return undefined;
}

/**
 * Finds an item by any of its devices' identifiers, compared as `identifierKey` does, for a set held for long (a
 * request workflow's devices). Keyed by the id alone, which is the very string of the item's own when it is already
 * trimmed and lower-case (digits are): a `kind:id` key per identifier, as buildDeviceKeyIndex makes, is a new
 * 40-byte string, 260 bytes a device in all. An id that several items share under different kinds lists them all, in
 * order; the first whose kind matches wins, as with buildDeviceKeyIndex.
 */
export class DeviceIdIndex<T extends { deviceIds: readonly DeviceId[] }> {
  private readonly byId = new Map<string, number | number[]>();

  constructor(private readonly items: readonly T[]) {
    items.forEach((item, position) => {
      for (const { id } of item.deviceIds) {
        const key = normalise(id);
        if (key === '') continue;
        const known = this.byId.get(key);
        if (known === undefined) this.byId.set(key, position);
        else if (typeof known === 'number') {
          if (known !== position) this.byId.set(key, [known, position]);
        } else if (known[known.length - 1] !== position) known.push(position);
      }
    });
  }

  /** The first indexed item that any of `ids` names, or undefined. */
  match(ids: readonly DeviceId[]): T | undefined {
    for (const { kind, id } of ids) {
      const key = normalise(id);
      const known = key === '' ? undefined : this.byId.get(key);
      if (known === undefined) continue;
      const wanted = normalise(kind);
      if (typeof known === 'number') {
        if (this.names(known, wanted, key)) return this.items[known];
        continue;
      }
      for (const position of known) if (this.names(position, wanted, key)) return this.items[position];
    }
    return undefined;
  }

  private names(position: number, kind: string, id: string): boolean {
    const item = this.items[position] as T;
    return item.deviceIds.some((d) => normalise(d.id) === id && normalise(d.kind) === kind);
  }
}
