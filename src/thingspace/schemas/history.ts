import { z } from 'zod';
import { caseInsensitiveEnum, ExtendedAttributeSchema } from './common.js';

/** Body of `POST /m2m/v1/devices/history/actions/list`; all three fields are required by ThingSpace. */
export const HistoryRequestSchema = z.strictObject({
  deviceId: z.strictObject({
    kind: z.string().trim().toLowerCase(),
    id: z.string().min(1, { error: 'id must not be empty' }),
  }),
  earliest: z.string().min(1, { error: 'earliest must be a date-time' }),
  latest: z.string().min(1, { error: 'latest must be a date-time' }),
});
export type HistoryRequest = z.infer<typeof HistoryRequestSchema>;

export const ProvisioningHistoryEntrySchema = z.looseObject({
  occurredAt: z.string().nullish(),
  status: z.string().nullish(),
  eventBy: z.string().nullish(),
  eventType: z.string().nullish(),
  mdn: z.string().nullish(),
  msisdn: z.string().nullish(),
  servicePlan: z.string().nullish(),
  extendedAttributes: z.array(ExtendedAttributeSchema).nullish(),
});
export type ProvisioningHistoryEntry = z.infer<typeof ProvisioningHistoryEntrySchema>;

const HistoryPageSchema = z.looseObject({
  hasMoreData: z.boolean().optional(),
  provisioningHistory: z.array(ProvisioningHistoryEntrySchema).nullish(),
});

/** ThingSpace sometimes wraps the history object in an array; both shapes come out as one object. */
export const HistoryResponseSchema = z.union([HistoryPageSchema, z.array(HistoryPageSchema)]).transform((body) => {
  const pages = Array.isArray(body) ? body : [body];
  return {
    hasMoreData: pages.some((p) => p.hasMoreData === true),
    provisioningHistory: pages.flatMap((p) => p.provisioningHistory ?? []),
  };
});
export type HistoryResponse = z.infer<typeof HistoryResponseSchema>;

export const REQUEST_STATUSES = ['Pending', 'Success', 'Failure'] as const;

/** `GET /m2m/v1/accounts/{accountName}/requests/{requestId}/status` (meaningful for single-device requests only). */
export const RequestStatusResponseSchema = z.looseObject({
  requestId: z.string(),
  status: caseInsensitiveEnum(REQUEST_STATUSES, 'status'),
});
export type RequestStatusResponse = z.infer<typeof RequestStatusResponseSchema>;
