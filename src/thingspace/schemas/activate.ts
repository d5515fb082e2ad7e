import { z } from 'zod';
import { CustomFieldSchema, RequestDeviceIdSchema } from './common.js';

import { MAX_DEVICES_PER_ACTIVATE } from './limits.js';

export { MAX_DEVICES_PER_ACTIVATE };

const OCTET = '(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const FIRST_OCTET = '(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]\\d|[1-9])';
const IPV4 = new RegExp(`^${FIRST_OCTET}(\\.${OCTET}){3}$`);

/** Seed rule for names and cost centres: "alphanumeric characters, space, dash, exclamation point, and pound sign". */
const NAME_CHARS = /^[A-Za-z0-9 \-!#]*$/;
const NAME_CHARS_RULE = 'letters, digits, space, -, ! and #';

function restrictedText(field: string, max: number) {
  return z
    .string()
    .min(1, { error: `${field} must not be empty` })
    .max(max, { error: `${field} must be at most ${max} characters` })
    .regex(NAME_CHARS, { error: `${field} may contain only ${NAME_CHARS_RULE}` });
}

const zip = z.string().regex(/^\d{5}$/, { error: 'zip must be 5 decimal digits' });

export const activateDeviceShape = {
  deviceIds: z.array(RequestDeviceIdSchema).min(1, { error: 'deviceIds must name at least one identifier' }),
  ipAddress: z.string().regex(IPV4, { error: 'ipAddress must have the format 1-255.0-255.0-255.0-255' }).optional(),
};

/** Rules of one device, shared with the job request schema (which adds fields to the device). */
export function activateDeviceRules(device: { deviceIds: readonly { kind: string }[] }, ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  device.deviceIds.forEach((d, i) => {
    if (seen.has(d.kind)) {
      ctx.addIssue({ code: 'custom', path: ['deviceIds', i, 'kind'], message: `kind ${d.kind} appears twice` });
    }
    seen.add(d.kind);
  });
}

export const ActivateDeviceSchema = z.strictObject(activateDeviceShape).superRefine(activateDeviceRules);
export type ActivateDevice = z.infer<typeof ActivateDeviceSchema>;

export const CustomerNameSchema = z.strictObject({
  title: z.string().optional(),
  firstName: restrictedText('firstName', 20),
  middleName: z.string().optional(),
  lastName: restrictedText('lastName', 25),
  suffix: z.string().optional(),
});

export const AddressSchema = z.strictObject({
  addressLine1: z.string().min(1, { error: 'addressLine1 must not be empty' }),
  addressLine2: z.string().optional(),
  city: z.string().min(1, { error: 'city must not be empty' }),
  state: z.string().regex(/^[A-Za-z]{2}$/, { error: 'state must be a two-letter abbreviation' }),
  zip,
  zip4: z
    .string()
    .regex(/^\d{4}$/, { error: 'zip4 must be 4 decimal digits' })
    .optional(),
  country: z.enum(['US', 'USA'], { error: 'country must be US or USA' }),
  phone: z.string().optional(),
  phoneType: z
    .string()
    .regex(/^[A-Za-z]$/, { error: 'phoneType must be a single letter' })
    .optional(),
  emailAddress: z.email({ error: 'emailAddress must be an email address' }).optional(),
});

export const PrimaryPlaceOfUseSchema = z.strictObject({
  customerName: CustomerNameSchema,
  address: AddressSchema,
});
export type PrimaryPlaceOfUse = z.infer<typeof PrimaryPlaceOfUseSchema>;

/**
 * Body of `POST /m2m/v1/devices/actions/activate`, with every rule of the seed contract, so a bad request is
 * refused here with a precise message instead of costing one of the 100 requests a minute and a 400.
 * Unknown keys are refused: a misspelt optional field would otherwise be dropped without a word.
 */
/** Every activate field but the devices: what a job applies to all of its requests. */
export const activationSettingsShape = {
  accountName: z.string().min(1, { error: 'accountName must not be empty' }).optional(),
  servicePlan: z.string().min(1, { error: 'servicePlan must not be empty' }),
  mdnZipCode: z.string().regex(/^\d{5}$/, { error: 'mdnZipCode must be 5 decimal digits' }),
  groupName: z.string().min(1).optional(),
  skuNumber: z
    .string()
    .min(1, { error: 'skuNumber must not be empty' })
    .max(20, { error: 'skuNumber must be at most 20 characters' })
    .optional(),
  carrierName: z.string().min(1).optional(),
  carrierIpPoolName: z.string().min(1, { error: 'carrierIpPoolName must not be empty' }).optional(),
  customFields: z.array(CustomFieldSchema).optional(),
  leadId: z.string().min(1, { error: 'leadId must not be empty' }).optional(),
  costCenterCode: restrictedText('costCenterCode', 36).optional(),
  publicIpRestriction: z
    .enum(['restricted', 'unrestricted'], { error: 'publicIpRestriction must be restricted or unrestricted' })
    .optional(),
  primaryPlaceOfUse: PrimaryPlaceOfUseSchema.optional(),
};

interface SettingsLike {
  leadId?: string | undefined;
  primaryPlaceOfUse?: unknown;
  customFields?: readonly { key: string }[] | undefined;
}

export function activationSettingsRules(req: SettingsLike, ctx: z.RefinementCtx, path: PropertyKey[] = []): void {
  if (req.leadId !== undefined && req.primaryPlaceOfUse !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: [...path, 'primaryPlaceOfUse'],
      message: 'primaryPlaceOfUse cannot be used together with leadId',
    });
  }
  const keys = new Set<string>();
  req.customFields?.forEach((f, i) => {
    if (keys.has(f.key)) {
      ctx.addIssue({ code: 'custom', path: [...path, 'customFields', i, 'key'], message: `${f.key} appears twice` });
    }
    keys.add(f.key);
  });
}

/** The seed: carrierIpPoolName "is required if using the ipAddress parameter". */
export function ipPoolRule(
  carrierIpPoolName: string | undefined,
  devices: readonly { ipAddress?: string | undefined }[],
  ctx: z.RefinementCtx,
  path: PropertyKey[] = ['carrierIpPoolName'],
): void {
  if (carrierIpPoolName === undefined && devices.some((d) => d.ipAddress !== undefined)) {
    ctx.addIssue({ code: 'custom', path, message: 'carrierIpPoolName is required when any device has an ipAddress' });
  }
}

/**
 * Body of `POST /m2m/v1/devices/actions/activate`, with every rule of the seed contract, so a bad request is
 * refused here with a precise message instead of costing one of the 100 requests a minute and a 400.
 * Unknown keys are refused: a misspelt optional field would otherwise be dropped without a word.
 */
export const ActivateRequestSchema = z
  .strictObject({
    devices: z
      .array(ActivateDeviceSchema)
      .min(1, { error: 'devices must contain at least 1 device' })
      .max(MAX_DEVICES_PER_ACTIVATE, { error: `devices must contain at most ${MAX_DEVICES_PER_ACTIVATE} devices` }),
    ...activationSettingsShape,
  })
  .superRefine((req, ctx) => {
    activationSettingsRules(req, ctx);
    ipPoolRule(req.carrierIpPoolName, req.devices, ctx);
    reportDuplicateDevices(req.devices, ctx);
  });
export type ActivateRequest = z.infer<typeof ActivateRequestSchema>;
export type ActivateRequestInput = z.input<typeof ActivateRequestSchema>;

/** The same device twice in one request would be submitted twice; ThingSpace has no idempotency to save us. */
export function reportDuplicateDevices(
  devices: readonly { deviceIds: readonly { kind: string; id: string }[] }[],
  ctx: z.RefinementCtx,
): void {
  const firstIndex = new Map<string, number>();
  devices.forEach((device, i) => {
    for (const { kind, id } of device.deviceIds) {
      const key = `${kind}:${id.toLowerCase()}`;
      const first = firstIndex.get(key);
      if (first !== undefined && first !== i) {
        ctx.addIssue({
          code: 'custom',
          path: ['devices', i],
          message: `device repeats ${kind} of devices[${first}]`,
        });
        return;
      }
      firstIndex.set(key, i);
    }
  });
}

export const ActivateResponseSchema = z.looseObject({
  requestId: z.string().min(1, { error: 'requestId must not be empty' }),
});
export type ActivateResponse = z.infer<typeof ActivateResponseSchema>;
