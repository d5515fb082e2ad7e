/**
 * What a look-up keeps of a listed device: its identifiers, carrier information (state, service plan), IP address
 * and whether it is NB-IoT, which is all that check, re-check and poll read. Kept as a "profile" without the
 * identifiers the caller already gave, so thousands of devices in the same state share one profile and a heartbeat
 * cursor can carry them.
 * Every device a look-up returns goes through its profile, so a resumed look-up returns exactly what a whole one does.
 */
import { z } from 'zod';
import type { DeviceId } from '../thingspace/schemas/device-key.js';
import { identifierKey } from '../thingspace/schemas/device-key.js';
import { isNbIot, type Device } from '../thingspace/schemas/devices.js';

const ProfileSchema = z.tuple(
  [
    /** Indexes of the caller's identifiers the listed device does not show. */
    z.array(z.number().int().nonnegative()),
    /** Identifiers the listed device shows beyond the caller's (MDN, IMSI … after activation). */
    z.array(z.object({ kind: z.string(), id: z.string() })),
    z.array(
      z.object({ carrierName: z.string().nullish(), servicePlan: z.string().nullish(), state: z.string().nullish() }),
    ),
    z.string().nullable(),
    // A trailing 1: the device is NB-IoT (profiles written before carry none).
  ],
  z.literal(1),
);

const NB_IOT_TYPE = { key: 'DeviceType', value: 'NB-IoT' };

const norm = (d: { kind: string; id: string }) => ({ kind: d.kind.trim().toLowerCase(), id: d.id.trim() });

type Profile = z.infer<typeof ProfileSchema>;

/** What a listed device adds to the caller's identifiers, as its profile holds it. */
export function profileOf(device: Device, given: readonly DeviceId[]): Profile {
  const listed = new Set((device.deviceIds ?? []).map((d) => identifierKey(d.kind, d.id)));
  const mine = new Set(given.map((d) => identifierKey(d.kind, d.id)));
  const missing = given.flatMap((d, i) => (listed.has(identifierKey(d.kind, d.id)) ? [] : [i]));
  const extra = (device.deviceIds ?? []).filter((d) => !mine.has(identifierKey(d.kind, d.id))).map(norm);
  const carriers = (device.carrierInformations ?? []).map((c) => ({
    carrierName: c.carrierName ?? null,
    servicePlan: c.servicePlan ?? null,
    state: c.state ?? null,
  }));
  const ipAddress = typeof device.ipAddress === 'string' ? device.ipAddress : null;
  return isNbIot(device) ? [missing, extra, carriers, ipAddress, 1] : [missing, extra, carriers, ipAddress];
}

/**
 * The device a profile stands for. A fresh look-up builds it from the profile it just made, a resumed one from the
 * profile its cursor carried (deviceFromProfile): the same function either way, without a JSON round trip and a
 * schema check per listed device on the way.
 */
export function deviceOfProfile(profile: Profile, given: readonly DeviceId[]): Device {
  const [missing, extra, carrierInformations, ipAddress, nbIot] = profile;
  const absent = new Set(missing);
  return {
    deviceIds: [...given.filter((_d, i) => !absent.has(i)).map(norm), ...extra],
    carrierInformations,
    ipAddress,
    ...(nbIot === 1 && { extendedAttributes: [NB_IOT_TYPE] }),
  };
}

/** The device a cursor's profile stands for; undefined when the profile is not one (a cursor from other code). */
export function deviceFromProfile(profile: string, given: readonly DeviceId[]): Device | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(profile);
  } catch {
    return undefined;
  }
  const parsed = ProfileSchema.safeParse(raw);
  return parsed.success ? deviceOfProfile(parsed.data, given) : undefined;
}
