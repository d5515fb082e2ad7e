import { z } from 'zod';

/** `POST /ts/v1/oauth2/token`. `expires_in` arrives as a number or a numeric string depending on the gateway. */
export const OAuthTokenResponseSchema = z.looseObject({
  access_token: z.string().min(1, { error: 'access_token must not be empty' }),
  token_type: z.string().optional(),
  expires_in: z.coerce.number().positive({ error: 'expires_in must be a positive number of seconds' }).optional(),
  scope: z.string().optional(),
});
export type OAuthTokenResponse = z.infer<typeof OAuthTokenResponseSchema>;

export const SessionLoginRequestSchema = z.strictObject({
  username: z.string().min(1, { error: 'username must not be empty' }),
  password: z.string().min(1, { error: 'password must not be empty' }),
});
export type SessionLoginRequest = z.infer<typeof SessionLoginRequestSchema>;

export const DEFAULT_SESSION_TTL_SECONDS = 1200;

/** `expiresIn` is absent from some responses; the session then lives the documented 20 idle minutes. */
export const SessionLoginResponseSchema = z.looseObject({
  sessionToken: z.string().min(1, { error: 'sessionToken must not be empty' }),
  expiresIn: z.coerce.number().positive({ error: 'expiresIn must be a positive number of seconds' }).optional(),
});
export type SessionLoginResponse = z.infer<typeof SessionLoginResponseSchema>;

export const SessionLogoutResponseSchema = z.looseObject({ sessionToken: z.string().optional() });
export type SessionLogoutResponse = z.infer<typeof SessionLogoutResponseSchema>;
