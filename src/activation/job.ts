/**
 * The job request: what callers (TypeScript or any other language, through the generated JSON Schema) send to
 * start an activation job. The single source of truth for its rules; the activate endpoint's own rules are reused
 * from the ThingSpace schemas so a job is refused for exactly what ThingSpace would refuse.
 */
import { z } from 'zod';
import {
  activateDeviceRules,
  activateDeviceShape,
  activationSettingsRules,
  activationSettingsShape,
  ipPoolRule,
  MAX_DEVICES_PER_ACTIVATE,
  reportDuplicateDevices,
} from '../thingspace/schemas/activate.js';
import { CustomFieldSchema } from '../thingspace/schemas/common.js';
import { BLOB_KEY_PATTERN } from '../storage/blob-store.js';
import { MAX_DEVICES_PER_JOB, MAX_REQUESTS_PER_JOB, smallestRequestSize } from './job-limits.js';
import { DurationSchema } from './model.js';

export { MAX_DEVICES_PER_JOB };

export const JobDeviceSchema = z
  .strictObject({
    ...activateDeviceShape,
    /**
     * NB-IoT devices also get a NiddService callback, and are settled only with it. Optional: the job's check also
     * takes a device as NB-IoT when ThingSpace lists it so (`DeviceType`).
     */
    nbIot: z.boolean().optional(),
  })
  .superRefine(activateDeviceRules);
export type JobDevice = z.infer<typeof JobDeviceSchema>;

const { accountName: _accountName, ...settingsShape } = activationSettingsShape;
export const ActivationSettingsSchema = z
  .strictObject(settingsShape)
  .superRefine((s, ctx) => activationSettingsRules(s, ctx));
export type ActivationSettings = z.infer<typeof ActivationSettingsSchema>;

export const JobOptionsSchema = z.strictObject({
  /**
   * Devices per activate request; ThingSpace takes at most 10,000. A job sends at most MAX_REQUESTS_PER_JOB requests:
   * listed devices that would need more must be stored (deviceList), which then runs in parts of that many requests.
   */
  maxDevicesPerRequest: z
    .number()
    .int()
    .min(1, { error: 'maxDevicesPerRequest must be at least 1' })
    .max(MAX_DEVICES_PER_ACTIVATE, { error: `maxDevicesPerRequest must be at most ${MAX_DEVICES_PER_ACTIVATE}` })
    .optional(),
  /** How long each request waits for callbacks before polling (default 12 hours, as ThingSpace advises). */
  callbackTimeout: DurationSchema.optional(),
  /** Time between polls once the callback wait is over (default 15 minutes). */
  pollInterval: DurationSchema.optional(),
  /** How long polling goes on after the callback wait before the rest is reported unresolved (default 12 hours). */
  pollDeadline: DurationSchema.optional(),
  /**
   * Ignored: jobs no longer re-check and resend after a lost activate answer (they watch the whole callback window
   * instead). Kept so that requests written for earlier versions stay valid, and for jobs started before.
   */
  ambiguousRecheckDelay: DurationSchema.optional(),
});
export type JobOptions = z.infer<typeof JobOptionsSchema>;

/**
 * Devices chosen by ThingSpace's own list filters instead of (or besides) a list: a device group and/or custom-field
 * values (every pair must match). A nested object rather than top-level fields because `activation.groupName` and
 * `activation.customFields` already exist and mean something else (what ThingSpace sets on the devices it
 * activates); `selection.groupName` only chooses devices. The job resolves the selection when it starts into a
 * stored device list (listed devices first, then the selected ones not listed), then checks, activates and reports
 * those devices like a stored list: up to MAX_DEVICES_PER_LIST devices, listed plus selected, in part jobs above
 * DEVICES_PER_PART. Past that the job fails with SelectionTooLarge before anything is checked.
 */
export const JobSelectionSchema = z
  .strictObject({
    groupName: z.string().min(1, { error: 'groupName must not be empty' }).optional(),
    customFields: z.array(CustomFieldSchema).min(1, { error: 'customFields must not be empty' }).optional(),
    /** ThingSpace's group activation covers 4G devices: NB-IoT devices are left out (and counted) unless set. */
    includeNbIot: z.boolean().optional(),
  })
  .superRefine((selection, ctx) => {
    if (selection.groupName === undefined && selection.customFields === undefined) {
      // Without either the selection would be the whole account: too easy to do by mistake.
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: 'selection must name groupName and/or customFields (a selection never means the whole account)',
      });
    }
    const seen = new Set<string>();
    selection.customFields?.forEach((field, i) => {
      // Filters are AND-ed: the same key twice with two values matches nothing, once with one value is enough.
      if (seen.has(field.key)) {
        ctx.addIssue({ code: 'custom', path: ['customFields', i, 'key'], message: `${field.key} appears twice` });
      }
      seen.add(field.key);
    });
  });
export type JobSelection = z.infer<typeof JobSelectionSchema>;

/** A caller's job key; `~part-<n>` is added by a job to the parts of a long stored list (partJobId). */
export const JOB_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,199}(~part-[1-9][0-9]{0,2})?$/;

export const JobRequestSchema = z
  .strictObject({
    /** The caller's job key; it becomes the workflow ID, so the same job cannot run twice. */
    jobId: z.string().regex(JOB_ID_PATTERN, {
      error: 'jobId must be 1-200 characters: letters, digits and . _ : @ -, starting with a letter or digit',
    }),
    accountName: z.string().min(1, { error: 'accountName must not be empty' }),
    activation: ActivationSettingsSchema,
    devices: z
      .array(JobDeviceSchema)
      .min(1, { error: 'devices must contain at least 1 device' })
      .max(MAX_DEVICES_PER_JOB, {
        error: `devices must contain at most ${MAX_DEVICES_PER_JOB} devices; name a stored list (deviceList) for more`,
      })
      .optional(),
    /**
     * A stored device list (up to 1,000,000 devices): its key in the blob store, as printed by
     * `thingspace-activation devices upload`. Instead of `devices` and `selection`.
     */
    deviceList: z
      .string()
      .regex(BLOB_KEY_PATTERN, {
        error: 'deviceList must be a store key (as printed by thingspace-activation devices upload)',
      })
      .optional(),
    /** Devices chosen by group and/or custom fields; with `devices` too, a device in both is activated once. */
    selection: JobSelectionSchema.optional(),
    options: JobOptionsSchema.optional(),
  })
  .superRefine((job, ctx) => {
    if (job.deviceList !== undefined && (job.devices !== undefined || job.selection !== undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['deviceList'],
        message: 'deviceList cannot be combined with devices or selection: put every device in the stored list',
      });
    }
    if (job.devices === undefined && job.selection === undefined && job.deviceList === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['devices'],
        message:
          'devices, deviceList or selection is required: list the devices, name a stored list, or name ' +
          'selection.groupName / selection.customFields',
      });
    }
    const devices = job.devices ?? [];
    // Listed devices the job sends itself (a selection's are stored, and run in parts like a stored list).
    const perRequest = job.options?.maxDevicesPerRequest ?? MAX_DEVICES_PER_ACTIVATE;
    const smallest = smallestRequestSize(devices.length);
    if (job.selection === undefined && perRequest < smallest) {
      ctx.addIssue({
        code: 'custom',
        path: ['options', 'maxDevicesPerRequest'],
        message:
          `maxDevicesPerRequest must be at least ${smallest} for ` +
          `${devices.length} listed devices: a job sends at most ${MAX_REQUESTS_PER_JOB} activate requests; ` +
          'a stored list (deviceList) runs in parts and takes smaller requests',
      });
    }
    ipPoolRule(job.activation.carrierIpPoolName, devices, ctx, ['activation', 'carrierIpPoolName']);
    reportDuplicateDevices(devices, ctx);
  });
export type JobRequest = z.infer<typeof JobRequestSchema>;
export type JobRequestInput = z.input<typeof JobRequestSchema>;
