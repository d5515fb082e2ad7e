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
import { DurationSchema } from './model.js';

/** Jobs beyond this are better split by the caller; it keeps one job's history well inside Temporal's limits. */
export const MAX_DEVICES_PER_JOB = 50_000;

export const JobDeviceSchema = z
  .strictObject({
    ...activateDeviceShape,
    /** NB-IoT devices also get a NiddService callback, and are settled only with it. */
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
  /** Devices per activate request; ThingSpace takes at most 10,000. */
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

export const JOB_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,199}$/;

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
      .max(MAX_DEVICES_PER_JOB, { error: `devices must contain at most ${MAX_DEVICES_PER_JOB} devices` }),
    options: JobOptionsSchema.optional(),
  })
  .superRefine((job, ctx) => {
    ipPoolRule(job.activation.carrierIpPoolName, job.devices, ctx, ['activation', 'carrierIpPoolName']);
    reportDuplicateDevices(job.devices, ctx);
  });
export type JobRequest = z.infer<typeof JobRequestSchema>;
export type JobRequestInput = z.input<typeof JobRequestSchema>;
