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

export function identifierKey(kind: string, id: string): DeviceKey {
  return `${kind.trim().toLowerCase()}:${id.trim().toLowerCase()}`;
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
