import type { FastifyRequest } from 'fastify';
import type { Session } from '../auth.js';
import type { SimCore } from '../core.js';
import { ErrorCodes, m2mError } from '../errors.js';

/** Every M2M call needs a valid bearer (gateway) and then a valid session (UWS), in that order. */
export function requireSession(core: SimCore, request: FastifyRequest): Session {
  core.auth.checkBearer(request.headers.authorization);
  const token = request.headers['vz-m2m-token'];
  return core.auth.checkSession(Array.isArray(token) ? token[0] : token);
}

/** The account a call acts on: the one named, which the session must reach, or the session's only account. */
export function resolveAccount(session: Session, accountName: string | undefined): string {
  if (accountName === undefined) {
    if (session.accountNames.length === 1) return session.accountNames[0] as string;
    throw m2mError(ErrorCodes.accountInvalid, 'accountName is required when the user can reach several accounts.');
  }
  if (!session.accountNames.includes(accountName)) {
    throw m2mError(ErrorCodes.accountInvalid, `Account ${accountName} is not valid for this user.`);
  }
  return accountName;
}
