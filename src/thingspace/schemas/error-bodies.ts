import { z } from 'zod';

/** M2M errors (HTTP 400 and friends): match on `errorCode`, never on the message. */
export const M2mErrorBodySchema = z.looseObject({
  errorCode: z.string(),
  errorMessage: z.string().nullish(),
});
export type M2mErrorBody = z.infer<typeof M2mErrorBodySchema>;

/** API gateway faults, e.g. 401 `900901` (invalid bearer) or `900902` (missing credentials). */
export const GatewayFaultBodySchema = z.looseObject({
  fault: z.looseObject({
    code: z.union([z.string(), z.number()]).transform(String),
    message: z.string().nullish(),
    description: z.string().nullish(),
  }),
});
export type GatewayFaultBody = z.infer<typeof GatewayFaultBodySchema>;

export const OAuthErrorBodySchema = z.looseObject({
  error: z.string(),
  error_description: z.string().nullish(),
});
export type OAuthErrorBody = z.infer<typeof OAuthErrorBodySchema>;

/** What rate limiters tend to answer (`{"message":"Too Many Requests"}`); undocumented for ThingSpace. */
export const MessageErrorBodySchema = z.looseObject({ message: z.string() });

export type ErrorBody =
  | { kind: 'm2m'; errorCode: string; message: string | undefined }
  | { kind: 'fault'; errorCode: string; message: string | undefined }
  | { kind: 'oauth'; errorCode: string; message: string | undefined }
  | { kind: 'message'; errorCode: undefined; message: string }
  | { kind: 'unknown'; errorCode: undefined; message: undefined };

/** Classifies an already JSON-decoded error body; a body of any other shape is `unknown`, never an exception. */
export function classifyErrorBody(body: unknown): ErrorBody {
  const m2m = M2mErrorBodySchema.safeParse(body);
  if (m2m.success) return { kind: 'm2m', errorCode: m2m.data.errorCode, message: m2m.data.errorMessage ?? undefined };
  const fault = GatewayFaultBodySchema.safeParse(body);
  if (fault.success) {
    const { code, message, description } = fault.data.fault;
    return { kind: 'fault', errorCode: code, message: [message, description].filter(Boolean).join(': ') || undefined };
  }
  const oauth = OAuthErrorBodySchema.safeParse(body);
  if (oauth.success) {
    return { kind: 'oauth', errorCode: oauth.data.error, message: oauth.data.error_description ?? undefined };
  }
  const plain = MessageErrorBodySchema.safeParse(body);
  if (plain.success) return { kind: 'message', errorCode: undefined, message: plain.data.message };
  return { kind: 'unknown', errorCode: undefined, message: undefined };
}
