/**
 * A parsed ThingSpace callback → the fixed, secret-free CallbackRecord a `callbacks` signal carries. Only what the
 * request workflow needs is copied, so the echoed listener password, `deviceCredential.password` and any unknown
 * field can never reach workflow history (which is kept, replicated and shown in the Web UI).
 */
import type { CallbackRecord } from '../activation/model.js';
import type { DeviceId } from '../thingspace/schemas/device-key.js';
import type { Callback } from '../thingspace/schemas/callbacks.js';
import { callbackOutcome } from '../thingspace/schemas/callbacks.js';

/** The record schema needs non-empty kinds and ids; ThingSpace sends empty placeholders for unassigned ones. */
function ids(list: readonly DeviceId[] | null | undefined): DeviceId[] {
  const out: DeviceId[] = [];
  for (const { kind, id } of list ?? []) {
    const k = kind.trim();
    const i = id.trim();
    if (k !== '' && i !== '') out.push({ kind: k, id: i });
  }
  return out;
}

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value : undefined;

/** Failure details arrive as a top-level `reason` or as a SOAP-style `faultResponse`, depending on the failure. */
function carrierReason(body: Record<string, unknown>): string | undefined {
  const fault = (body.faultResponse ?? undefined) as Record<string, unknown> | undefined;
  return text(body.reason) ?? text(fault?.faultstring) ?? text(fault?.faultcode);
}

/**
 * Returns undefined when the callback names no usable identifier (every id empty): there is nothing the workflow
 * could match it to, and the caller answers 400.
 */
export function toCallbackRecord(callback: Callback): CallbackRecord | undefined {
  const { body } = callback;
  const base = {
    success: callbackOutcome(body.status) === 'success',
    status: body.status,
    ...(body.callbackCount != null && { callbackCount: body.callbackCount }),
  };
  if (callback.service === 'CarrierService') {
    const deviceIds = ids(callback.body.deviceIds);
    if (deviceIds.length === 0) return undefined;
    const activate = callback.body.deviceResponse?.activateResponse;
    const reason = carrierReason(callback.body);
    const ipAddress = text(activate?.ipAddress);
    const state = text(activate?.state);
    const servicePlan = text(activate?.servicePlan);
    return {
      service: 'CarrierService',
      deviceIds,
      ...base,
      ...(reason !== undefined && { reason }),
      assignedIds: ids(activate?.deviceIds),
      ...(ipAddress !== undefined && { ipAddress }),
      ...(state !== undefined && { state }),
      ...(servicePlan !== undefined && { servicePlan }),
    };
  }
  const config = callback.body.niddResponse.niddConfigResponse;
  const top = ids(callback.body.deviceIds);
  const deviceIds = top.length > 0 ? top : ids(config.deviceIds);
  if (deviceIds.length === 0) return undefined;
  const reason = text(config.reason);
  return { service: 'NiddService', deviceIds, ...base, ...(reason !== undefined && { reason }), assignedIds: [] };
}
