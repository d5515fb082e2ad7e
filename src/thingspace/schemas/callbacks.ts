import { z } from 'zod';
import { statusOutcome, type StatusOutcome } from './status.js';
import { ResponseDeviceIdSchema } from './common.js';
import type { DeviceKey } from './device-key.js';
import { deviceKey, deviceKeys } from './device-key.js';

const count = z.number().int().nonnegative().nullish();

export const ActivateCallbackResponseSchema = z.looseObject({
  deviceIds: z.array(ResponseDeviceIdSchema).nullish(),
  ipAddress: z.string().nullish(),
  state: z.string().nullish(),
  servicePlan: z.string().nullish(),
  featureCodes: z.array(z.unknown()).nullish(),
  deviceCredential: z.looseObject({ username: z.string().nullish(), password: z.string().nullish() }).nullish(),
});
export type ActivateCallbackResponse = z.infer<typeof ActivateCallbackResponseSchema>;

/** One device's result of an activate request. Unknown fields (fault details and the like) are kept. */
export const CarrierServiceCallbackSchema = z.looseObject({
  username: z.string().nullish(),
  password: z.string().nullish(),
  requestId: z.string().min(1, { error: 'requestId must not be empty' }),
  deviceIds: z.array(ResponseDeviceIdSchema).min(1, { error: 'deviceIds must name the device' }),
  deviceResponse: z.looseObject({ activateResponse: ActivateCallbackResponseSchema.nullish() }).nullish(),
  faultResponse: z.looseObject({}).nullish(),
  status: z.string(),
  callbackCount: count,
  maxCallbackThreshold: count,
});
export type CarrierServiceCallback = z.infer<typeof CarrierServiceCallbackSchema>;

/** NB-IoT devices get this second callback once their NIDD configuration is created (or has failed). */
export const NiddServiceCallbackSchema = z.looseObject({
  username: z.string().nullish(),
  password: z.string().nullish(),
  requestId: z.string().min(1, { error: 'requestId must not be empty' }),
  deviceIds: z.array(ResponseDeviceIdSchema).nullish(),
  niddResponse: z.looseObject({
    niddConfigResponse: z.looseObject({
      accountName: z.string().nullish(),
      reason: z.string().nullish(),
      deviceIds: z.array(ResponseDeviceIdSchema).min(1, { error: 'deviceIds must name the device' }),
    }),
  }),
  status: z.string(),
  callbackCount: count,
  maxCallbackThreshold: count,
});
export type NiddServiceCallback = z.infer<typeof NiddServiceCallbackSchema>;

export type CallbackService = 'CarrierService' | 'NiddService';
export type Callback =
  { service: 'CarrierService'; body: CarrierServiceCallback } | { service: 'NiddService'; body: NiddServiceCallback };

function isNiddBody(input: unknown): boolean {
  return typeof input === 'object' && input !== null && 'niddResponse' in input;
}

/** A NiddService body is recognised by its `niddResponse`; anything else must be a CarrierService body. */
export function safeParseCallback(
  input: unknown,
): { success: true; data: Callback } | { success: false; error: z.ZodError } {
  if (isNiddBody(input)) {
    const result = NiddServiceCallbackSchema.safeParse(input);
    return result.success ? { success: true, data: { service: 'NiddService', body: result.data } } : result;
  }
  const result = CarrierServiceCallbackSchema.safeParse(input);
  return result.success ? { success: true, data: { service: 'CarrierService', body: result.data } } : result;
}

/** Like safeParseCallback, but throws the ZodError (format it with formatZodError). */
export function parseCallback(input: unknown): Callback {
  const result = safeParseCallback(input);
  if (!result.success) throw result.error;
  return result.data;
}

/** Statuses come in mixed case and differ per service (`Success`, `FAILED`, `ConfigCreated`, `ConfigCreationFailed`). */
export const callbackOutcome = statusOutcome;
export type CallbackOutcome = StatusOutcome;

export interface CallbackSummary {
  requestId: string;
  service: CallbackService;
  /** Canonical key of the device the callback is about (see deviceKey). */
  deviceKey: DeviceKey;
  /** Every identifier key the callback names, including ones assigned by the activation (mdn, msisdn …). */
  deviceKeys: DeviceKey[];
  status: string;
  outcome: CallbackOutcome;
}

/** What routing and dedupe need from a callback: (requestId, service, device). */
export function summarizeCallback(callback: Callback): CallbackSummary {
  const requested =
    callback.service === 'CarrierService'
      ? callback.body.deviceIds
      : callback.body.deviceIds?.length
        ? callback.body.deviceIds
        : callback.body.niddResponse.niddConfigResponse.deviceIds;
  const assigned =
    callback.service === 'CarrierService' ? (callback.body.deviceResponse?.activateResponse?.deviceIds ?? []) : [];
  const all = [...requested, ...assigned];
  return {
    requestId: callback.body.requestId,
    service: callback.service,
    // Schemas guarantee at least one identifier, so the fallback never fires; it keeps the type honest.
    deviceKey: deviceKey(requested) ?? deviceKey(all) ?? '',
    deviceKeys: [...new Set(deviceKeys(all))],
    status: callback.body.status,
    outcome: callbackOutcome(callback.body.status),
  };
}

/**
 * The callback without the secrets ThingSpace echoes in it (listener credentials, the device credential password),
 * safe to put in workflow history or a log.
 */
export function stripCallbackSecrets<T extends Callback>(callback: T): T {
  const body: Record<string, unknown> = { ...callback.body };
  delete body.username;
  delete body.password;
  const deviceResponse = (callback.body as CarrierServiceCallback).deviceResponse;
  const credential = deviceResponse?.activateResponse?.deviceCredential;
  if (deviceResponse?.activateResponse && credential) {
    const safeCredential: Record<string, unknown> = { ...credential };
    delete safeCredential.password;
    body.deviceResponse = {
      ...deviceResponse,
      activateResponse: { ...deviceResponse.activateResponse, deviceCredential: safeCredential },
    };
  }
  return { ...callback, body } as T;
}
