import { z } from 'zod';
import { ExtendedAttributeSchema, ResponseCustomFieldSchema, ResponseDeviceIdSchema } from './common.js';

const DeviceIdentifierFilterSchema = z.strictObject({
  kind: z.string().trim().toLowerCase(),
  contains: z.string().optional(),
  startswith: z.string().optional(),
  endswith: z.string().optional(),
});

/** ThingSpace documents `largestDeviceIdSeen` as int64; digit strings are accepted so no id loses precision. */
export const LargestDeviceIdSeenSchema = z.union([
  z.number().int().nonnegative(),
  z.string().regex(/^\d+$/, { error: 'largestDeviceIdSeen must be decimal digits' }),
]);

/** Body of `POST /m2m/v1/devices/actions/list`: every filter is optional. */
export const DevicesListRequestSchema = z.strictObject({
  accountName: z.string().min(1).optional(),
  deviceId: z.strictObject({ kind: z.string().trim().toLowerCase(), id: z.string().min(1) }).optional(),
  filter: z.strictObject({ deviceIdentifierFilters: z.array(DeviceIdentifierFilterSchema) }).optional(),
  currentState: z.string().optional(),
  customFields: z.array(z.strictObject({ key: z.string(), value: z.string() })).optional(),
  earliest: z.string().optional(),
  latest: z.string().optional(),
  groupName: z.string().optional(),
  servicePlan: z.string().optional(),
  maxNumberOfDevices: z.number().int().positive().optional(),
  largestDeviceIdSeen: LargestDeviceIdSeenSchema.optional(),
});
export type DevicesListRequest = z.infer<typeof DevicesListRequestSchema>;

export const CarrierInformationSchema = z.looseObject({
  carrierName: z.string().nullish(),
  servicePlan: z.string().nullish(),
  state: z.string().nullish(),
});
export type CarrierInformation = z.infer<typeof CarrierInformationSchema>;

export const DeviceSchema = z.looseObject({
  accountName: z.string().nullish(),
  deviceIds: z.array(ResponseDeviceIdSchema),
  carrierInformations: z.array(CarrierInformationSchema).nullish(),
  connected: z.boolean().nullish(),
  createdAt: z.string().nullish(),
  ipAddress: z.string().nullish(),
  groupNames: z.array(z.string()).nullish(),
  customFields: z.array(ResponseCustomFieldSchema).nullish(),
  extendedAttributes: z.array(ExtendedAttributeSchema).nullish(),
  lastActivationDate: z.string().nullish(),
  lastActivationBy: z.string().nullish(),
  lastConnectionDate: z.string().nullish(),
  billingCycleEndDate: z.string().nullish(),
});
export type Device = z.infer<typeof DeviceSchema>;

export const DevicesListResponseSchema = z.looseObject({
  hasMoreData: z.boolean().optional().default(false),
  devices: z
    .array(DeviceSchema)
    .nullish()
    .transform((d) => d ?? []),
});
export type DevicesListResponse = z.infer<typeof DevicesListResponseSchema>;

/** The paging cursor: the `DeviceId` extended attribute of a device (key compared case-insensitively). */
export function deviceCursor(device: Device): string | undefined {
  const attr = device.extendedAttributes?.find((a) => a.key.toLowerCase() === 'deviceid');
  return attr?.value === undefined || attr.value === null ? undefined : String(attr.value);
}

/** Device states normalised: `pre-active`/`preactive`/`Pre-Active` all become `preactive`. */
export function normalizeState(state: string | null | undefined): string | undefined {
  if (state === undefined || state === null) return undefined;
  const s = state
    .trim()
    .toLowerCase()
    .replace(/[\s_-]/g, '');
  if (s === 'activate' || s === 'activated') return 'active';
  if (s === 'deactivate' || s === 'deactivated' || s === 'deactive' || s === 'inactive') return 'deactive';
  if (s === 'suspended' || s === 'suspend') return 'suspend';
  return s;
}

/** NB-IoT devices show it in the `DeviceType` extended attribute; a device without one counts as 4G. */
export function isNbIot(device: Device): boolean {
  const type = device.extendedAttributes?.find((a) => a.key.toLowerCase() === 'devicetype')?.value;
  return typeof type === 'string' && /^nb-?iot$/i.test(type.trim());
}

/** The device's state lives in `carrierInformations`, not at top level; the first carrier's state wins. */
export function deviceState(device: Device): string | undefined {
  for (const info of device.carrierInformations ?? []) {
    const state = normalizeState(info.state);
    if (state) return state;
  }
  return undefined;
}
