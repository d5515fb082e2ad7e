import { z } from 'zod';

/** Body of `POST /m2m/v1/callbacks/{accountName}`; `name` is the service name (other services exist, so any string). */
export const CallbackRegistrationRequestSchema = z.strictObject({
  name: z.string().min(1, { error: 'name must not be empty' }),
  url: z.url({ protocol: /^https?$/, error: 'url must be an http(s) URL' }),
  username: z.string().optional(),
  password: z.string().optional(),
});
export type CallbackRegistrationRequest = z.infer<typeof CallbackRegistrationRequestSchema>;

/** Register and delete both answer `{accountName, serviceName}`. */
export const CallbackRegistrationResponseSchema = z.looseObject({
  accountName: z.string().optional(),
  serviceName: z.string().optional(),
});
export type CallbackRegistrationResponse = z.infer<typeof CallbackRegistrationResponseSchema>;

export const RegisteredCallbackSchema = z.looseObject({
  accountName: z.string().optional(),
  name: z.string(),
  url: z.string().optional(),
});
export type RegisteredCallback = z.infer<typeof RegisteredCallbackSchema>;

/** `GET /m2m/v1/callbacks/{accountName}` answers a bare array. */
export const CallbackListResponseSchema = z.array(RegisteredCallbackSchema);
export type CallbackListResponse = z.infer<typeof CallbackListResponseSchema>;
