import { z } from 'zod';
import type { DeviceBlockSeed, DeviceOutcome, SeedDevice, SimulatorSeed } from './model.js';

/**
 * Validation of the simulator's own inputs (seed files and admin payloads). ThingSpace wire formats are validated
 * with the schemas in src/thingspace; these describe only what the simulator adds.
 */
export const IdentifierSchema = z.object({ kind: z.string().min(1), id: z.string().min(1) });
export const DeviceStateSchema = z.enum(['pre-active', 'preactive', 'active', 'deactive', 'suspend']);

export const DeviceOutcomeSchema = z.strictObject({
  activation: z.enum(['success', 'failure']).optional(),
  reason: z.string().optional(),
  nidd: z.enum(['success', 'failure']).optional(),
  niddReason: z.string().optional(),
  dropCallback: z.boolean().optional(),
  dropNiddCallback: z.boolean().optional(),
  duplicateCallback: z.boolean().optional(),
}) satisfies z.ZodType<DeviceOutcome>;

export const SeedDeviceSchema = z.strictObject({
  accountName: z.string().min(1),
  type: z.enum(['4G', 'NB-IoT']).optional(),
  deviceIds: z.array(IdentifierSchema).min(1),
  state: DeviceStateSchema.optional(),
  servicePlan: z.string().optional(),
  inAccount: z.boolean().optional(),
  groupNames: z.array(z.string()).optional(),
  customFields: z.array(z.object({ key: z.string(), value: z.string() })).optional(),
  outcome: DeviceOutcomeSchema.optional(),
}) satisfies z.ZodType<SeedDevice>;

export const DeviceBlockSeedSchema = z.strictObject({
  accountName: z.string().min(1),
  // Seven digits of serial in an IMEI: a block holds at most ten million devices.
  count: z.number().int().min(1).max(10_000_000),
  prefix: z.string().regex(/^\d{5}$/, 'prefix must be five digits'),
  state: DeviceStateSchema.optional(),
  servicePlan: z.string().optional(),
}) satisfies z.ZodType<DeviceBlockSeed>;

export const SimulatorSeedSchema = z.strictObject({
  apps: z.array(z.object({ appKey: z.string().min(1), appSecret: z.string().min(1) })).min(1),
  users: z.array(
    z.object({ username: z.string().min(1), password: z.string().min(1), accountNames: z.array(z.string()).min(1) }),
  ),
  accounts: z.array(z.string().min(1)),
  devices: z.array(SeedDeviceSchema),
  blocks: z.array(DeviceBlockSeedSchema).optional(),
}) satisfies z.ZodType<SimulatorSeed>;
