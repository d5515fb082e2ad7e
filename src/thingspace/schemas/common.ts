import { z } from 'zod';

/** Identifier kinds ThingSpace documents; payloads spell them in any case (`IMEI`, `iccId`), so we lower-case first. */
export const DEVICE_ID_KINDS = ['esn', 'eid', 'iccid', 'imei', 'mdn', 'meid', 'msisdn', 'imsi', 'min'] as const;
export const DeviceIdKindSchema = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.enum(DEVICE_ID_KINDS, { error: `kind must be one of ${DEVICE_ID_KINDS.join(', ')} (any case)` }));
export type DeviceIdKind = z.infer<typeof DeviceIdKindSchema>;

/** Per-kind format rules for identifiers we send; kinds without a documented format only need to be non-empty. */
const ID_FORMATS: Partial<Record<DeviceIdKind, { pattern: RegExp; rule: string }>> = {
  iccid: { pattern: /^\d{1,20}$/, rule: 'iccid must be 1-20 decimal digits' },
  imei: { pattern: /^\d{1,16}$/, rule: 'imei must be 1-16 decimal digits' },
  esn: { pattern: /^\d+$/, rule: 'esn must be decimal digits' },
  meid: { pattern: /^[0-9A-Fa-f]+$/, rule: 'meid must be hexadecimal digits' },
};

/** A device identifier we send: known kind (normalised to lower case) and an id in that kind's format. */
export const RequestDeviceIdSchema = z
  .strictObject({
    kind: DeviceIdKindSchema,
    id: z.string().trim().min(1, { error: 'id must not be empty' }),
  })
  .superRefine((value, ctx) => {
    const format = ID_FORMATS[value.kind];
    if (format && !format.pattern.test(value.id)) ctx.addIssue({ code: 'custom', path: ['id'], message: format.rule });
  });

/**
 * A device identifier ThingSpace sends back. Unknown kinds must not make a whole page or callback unreadable,
 * so only the case is normalised here.
 */
export const ResponseDeviceIdSchema = z.looseObject({
  kind: z.string().trim().toLowerCase(),
  id: z.string(),
});

export const CUSTOM_FIELD_KEYS = [
  'CustomField1',
  'CustomField2',
  'CustomField3',
  'CustomField4',
  'CustomField5',
] as const;

export const CustomFieldSchema = z.strictObject({
  key: z.enum(CUSTOM_FIELD_KEYS, { error: `key must be one of ${CUSTOM_FIELD_KEYS.join(', ')}` }),
  value: z.string().max(50, { error: 'value must be at most 50 characters' }),
});
export type CustomField = z.infer<typeof CustomFieldSchema>;

/** Custom fields as ThingSpace returns them: keys outside CustomField1-5 are not our business to reject. */
export const ResponseCustomFieldSchema = z.looseObject({ key: z.string(), value: z.string().nullish() });

/** `value` is usually a string, but a numeric `DeviceId` must not fail a whole page. */
export const ExtendedAttributeSchema = z.looseObject({
  key: z.string(),
  value: z.union([z.string(), z.number(), z.boolean()]).nullish(),
});
export type ExtendedAttribute = z.infer<typeof ExtendedAttributeSchema>;

/** Maps a string onto one of `values` ignoring case, so output is always the canonical spelling. */
export function caseInsensitiveEnum<const T extends readonly [string, ...string[]]>(values: T, what: string) {
  const byLower = new Map(values.map((v) => [v.toLowerCase(), v]));
  return z
    .string()
    .transform((s) => byLower.get(s.trim().toLowerCase()) ?? s)
    .pipe(z.enum(values, { error: `${what} must be one of ${values.join(', ')} (any case)` }));
}
