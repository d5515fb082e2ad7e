import type { z } from 'zod';
import { BearerTokens } from './auth/bearer.js';
import { type AuthContext, silentLogger, type ThingSpaceLogger } from './auth/context.js';
import { InProcessLoginGuard, type LoginGuard, type LoginGuardView } from './auth/login-guard.js';
import { Sessions } from './auth/session.js';
import { parseConfig, type ThingSpaceConfig, type ThingSpaceConfigInput } from './config.js';
import { ThingSpaceResponseError, ThingSpaceValidationError } from './errors.js';
import { type HttpRequest, type HttpResponse, HttpTransport } from './http.js';
import { Redactor } from './redact.js';
import { errorFromResponse, isSessionError, parseSuccess } from './responses.js';
import {
  type ActivateRequestInput,
  ActivateRequestSchema,
  type ActivateResponse,
  ActivateResponseSchema,
} from './schemas/activate.js';
import { SessionLogoutResponseSchema } from './schemas/auth.js';
import {
  type CallbackListResponse,
  CallbackListResponseSchema,
  type CallbackRegistrationRequest,
  CallbackRegistrationRequestSchema,
  type CallbackRegistrationResponse,
  CallbackRegistrationResponseSchema,
} from './schemas/callback-registration.js';
import {
  type Device,
  deviceCursor,
  type DevicesListRequest,
  DevicesListRequestSchema,
  type DevicesListResponse,
  DevicesListResponseSchema,
} from './schemas/devices.js';
import { formatZodError } from './schemas/format.js';
import {
  type HistoryRequest,
  HistoryRequestSchema,
  type HistoryResponse,
  HistoryResponseSchema,
  type RequestStatusResponse,
  RequestStatusResponseSchema,
} from './schemas/history.js';

/** Per-call options: every call can be cancelled and can tighten or widen the configured timeout. */
export interface CallOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface AccountCallOptions extends CallOptions {
  /** Defaults to the configured `accountName`. */
  accountName?: string;
}

export interface ThingSpaceClientOptions {
  logger?: ThingSpaceLogger;
  /** Clock for token and session expiry; tests move it forward instead of sleeping. */
  now?: () => number;
  /**
   * Where the failed-login budget lives. Defaults to this process alone (InProcessLoginGuard); workers pass the
   * Temporal-held guard (src/temporal/login-guard.ts) so the budget holds for every worker of the deployment.
   */
  loginGuard?: LoginGuard;
}

/** One page of `devices/actions/list`, with the cursor for the next one. */
export interface DevicesPage extends DevicesListResponse {
  /** HTTP 202 or `hasMoreData`: another page follows. */
  more: boolean;
  /** `largestDeviceIdSeen` for the next page. */
  nextCursor: string | undefined;
}

interface M2mCall<S extends z.ZodType> {
  operation: string;
  method: HttpRequest['method'];
  path: string;
  json?: unknown;
  schema: S;
  idempotent: boolean;
}

/**
 * ThingSpace M2M API client. Holds the bearer and the session for the whole process; all methods are safe to call
 * concurrently. Nothing is retried here except the one transparent bearer re-fetch and the one re-login that the
 * API's token expiry requires: retries belong to the Temporal activity, guided by the typed errors.
 */
export class ThingSpaceClient {
  private config: ThingSpaceConfig;
  private readonly redactor = new Redactor();
  private readonly transport: HttpTransport;
  private readonly bearer: BearerTokens;
  private readonly sessions: Sessions;
  private readonly log: ThingSpaceLogger;

  constructor(config: ThingSpaceConfigInput | ThingSpaceConfig, options: ThingSpaceClientOptions = {}) {
    this.config = parseConfig(config);
    this.redactor.add(this.config.appSecret, this.config.password);
    this.log = options.logger ?? silentLogger;
    this.transport = new HttpTransport(this.redactor, this.config.userAgent);
    const ctx: AuthContext = {
      config: () => this.config,
      transport: this.transport,
      redactor: this.redactor,
      log: this.log,
      now: options.now ?? Date.now,
    };
    this.bearer = new BearerTokens(ctx);
    const guard = options.loginGuard ?? new InProcessLoginGuard({ now: ctx.now });
    this.sessions = new Sessions(ctx, this.bearer, guard);
  }

  /** The failed-login budget as the guard holds it (for this process, or for the deployment). */
  loginGuardState(): Promise<LoginGuardView> {
    return this.sessions.guard.state();
  }

  /** Allows session logins again after the guard tripped (someone fixed or checked the credentials). */
  resetLoginGuard(): Promise<void> {
    return this.sessions.guard.reset();
  }

  /** New M2M credentials: drops the session and resets the login guard. */
  async updateCredentials(credentials: { username: string; password: string }): Promise<void> {
    this.config = parseConfig({ ...this.config, ...credentials });
    this.redactor.add(credentials.password);
    this.sessions.clear();
    await this.sessions.guard.reset();
  }

  /** Pages of `POST /m2m/v1/devices/actions/list`, following `largestDeviceIdSeen` until the last page. */
  async *listDevicesPages(request: DevicesListRequest = {}, options: CallOptions = {}): AsyncGenerator<DevicesPage> {
    let body = this.validate('list devices', DevicesListRequestSchema, {
      ...(this.config.accountName !== undefined ? { accountName: this.config.accountName } : {}),
      ...request,
    });
    for (;;) {
      const { status, data } = await this.m2m(
        {
          operation: 'list devices',
          method: 'POST',
          path: '/m2m/v1/devices/actions/list',
          json: body,
          schema: DevicesListResponseSchema,
          idempotent: true,
        },
        options,
      );
      const last = data.devices.at(-1);
      const more = (status === 202 || data.hasMoreData) && last !== undefined;
      const nextCursor = last ? deviceCursor(last) : undefined;
      yield { ...data, more, nextCursor };
      if (!more) return;
      if (nextCursor === undefined || String(body.largestDeviceIdSeen) === nextCursor) {
        // Without a moving cursor the next page would repeat this one forever.
        throw new ThingSpaceResponseError(
          'list devices: more data announced but the last device has no new DeviceId extended attribute',
          { operation: 'list devices', status, retryable: false },
        );
      }
      body = { ...body, largestDeviceIdSeen: cursorValue(nextCursor) };
    }
  }

  /** All devices matching `request`, across every page. */
  async listDevices(request: DevicesListRequest = {}, options: CallOptions = {}): Promise<Device[]> {
    const devices: Device[] = [];
    for await (const page of this.listDevicesPages(request, options)) devices.push(...page.devices);
    return devices;
  }

  /**
   * `POST /m2m/v1/devices/actions/activate`. Not idempotent: on an error with `ambiguous: true` the request may
   * have been accepted, so settle it by checking device states, never by sending it again.
   */
  async activate(request: ActivateRequestInput, options: CallOptions = {}): Promise<ActivateResponse> {
    const body = this.validate('activate', ActivateRequestSchema, {
      ...(this.config.accountName !== undefined ? { accountName: this.config.accountName } : {}),
      ...request,
    });
    const { data } = await this.m2m(
      {
        operation: 'activate',
        method: 'POST',
        path: '/m2m/v1/devices/actions/activate',
        json: body,
        schema: ActivateResponseSchema,
        idempotent: false,
      },
      options,
    );
    return data;
  }

  /** `POST /m2m/v1/devices/history/actions/list` for one device between `earliest` and `latest`. */
  async history(request: HistoryRequest, options: CallOptions = {}): Promise<HistoryResponse> {
    const body = this.validate('history', HistoryRequestSchema, request);
    const call = {
      operation: 'history',
      method: 'POST',
      path: '/m2m/v1/devices/history/actions/list',
      json: body,
      schema: HistoryResponseSchema,
      idempotent: true,
    } as const;
    return (await this.m2m(call, options)).data;
  }

  /** Status of a request; ThingSpace answers meaningfully only for single-device requests. */
  async requestStatus(requestId: string, options: AccountCallOptions = {}): Promise<RequestStatusResponse> {
    const account = this.account('request status', options);
    const call = {
      operation: 'request status',
      method: 'GET',
      path: `/m2m/v1/accounts/${enc(account)}/requests/${enc(requestId)}/status`,
      schema: RequestStatusResponseSchema,
      idempotent: true,
    } as const;
    return (await this.m2m(call, options)).data;
  }

  async registerCallback(
    registration: CallbackRegistrationRequest,
    options: AccountCallOptions = {},
  ): Promise<CallbackRegistrationResponse> {
    const body = this.validate('register callback', CallbackRegistrationRequestSchema, registration);
    this.redactor.add(body.password);
    const call = {
      operation: 'register callback',
      method: 'POST',
      path: `/m2m/v1/callbacks/${enc(this.account('register callback', options))}`,
      json: body,
      schema: CallbackRegistrationResponseSchema,
      idempotent: true,
    } as const;
    return (await this.m2m(call, options)).data;
  }

  async listCallbacks(options: AccountCallOptions = {}): Promise<CallbackListResponse> {
    const call = {
      operation: 'list callbacks',
      method: 'GET',
      path: `/m2m/v1/callbacks/${enc(this.account('list callbacks', options))}`,
      schema: CallbackListResponseSchema,
      idempotent: true,
    } as const;
    return (await this.m2m(call, options)).data;
  }

  async deleteCallback(serviceName: string, options: AccountCallOptions = {}): Promise<CallbackRegistrationResponse> {
    const call = {
      operation: 'delete callback',
      method: 'DELETE',
      path: `/m2m/v1/callbacks/${enc(this.account('delete callback', options))}/name/${enc(serviceName)}`,
      schema: CallbackRegistrationResponseSchema,
      idempotent: true,
    } as const;
    return (await this.m2m(call, options)).data;
  }

  /** Ends the current session, if any; the next call logs in again. */
  async logout(options: CallOptions = {}): Promise<void> {
    const session = this.sessions.current();
    this.sessions.clear();
    if (session === undefined) return;
    const req = this.request(
      { operation: 'logout', method: 'POST', path: '/m2m/v1/session/logout', idempotent: true },
      options,
    );
    const res = await this.bearer.send((bearer) => ({ ...req, headers: headers(bearer, session) }), options.signal);
    // An already expired session is as good as a logged-out one.
    if (res.status >= 300 && !isSessionError(res)) throw errorFromResponse(req, res, this.redactor);
    if (res.status < 300) parseSuccess(req, res, SessionLogoutResponseSchema, this.redactor);
  }

  /**
   * One M2M call with the bearer and the session. A session-expired answer means the call was not processed, so
   * it is safe, even for activate, to log in again and send it once more.
   */
  private async m2m<S extends z.ZodType>(
    call: M2mCall<S>,
    options: CallOptions,
  ): Promise<{ status: number; data: z.output<S> }> {
    let renewedSession = false;
    for (;;) {
      const session = await this.sessions.get(options.signal);
      const req = this.request(call, options);
      const res: HttpResponse = await this.bearer.send(
        (bearer) => ({ ...req, headers: headers(bearer, session) }),
        options.signal,
      );
      if (isSessionError(res) && !renewedSession) {
        this.log.info('ThingSpace session rejected; logging in again', { operation: call.operation });
        this.sessions.invalidate(session);
        renewedSession = true;
        continue;
      }
      if (res.status >= 300) {
        const error = errorFromResponse(req, res, this.redactor);
        this.log.warn('ThingSpace call failed', {
          operation: call.operation,
          status: error.status,
          errorCode: error.errorCode,
          retryable: error.retryable,
          ambiguous: error.ambiguous,
        });
        throw error;
      }
      this.sessions.touch(session);
      return { status: res.status, data: parseSuccess(req, res, call.schema, this.redactor) };
    }
  }

  /** The request without credentials; they are added per attempt, as the bearer may change in between. */
  private request(call: Omit<M2mCall<z.ZodType>, 'schema'>, options: CallOptions): HttpRequest {
    return {
      operation: call.operation,
      method: call.method,
      url: `${this.config.baseUrl}${call.path}`,
      headers: {},
      ...(call.json !== undefined ? { json: call.json } : {}),
      timeoutMs: options.timeoutMs ?? this.config.timeouts.requestMs,
      connectTimeoutMs: this.config.timeouts.connectMs,
      signal: options.signal,
      idempotent: call.idempotent,
    };
  }

  private validate<S extends z.ZodType>(operation: string, schema: S, input: unknown): z.output<S> {
    const result = schema.safeParse(input);
    if (!result.success) {
      throw new ThingSpaceValidationError(`${operation}: invalid request: ${formatZodError(result.error)}`, {
        operation,
        retryable: false,
      });
    }
    return result.data;
  }

  private account(operation: string, options: AccountCallOptions): string {
    const account = options.accountName ?? this.config.accountName;
    if (account === undefined) {
      throw new ThingSpaceValidationError(`${operation}: accountName is required (no default configured)`, {
        operation,
        retryable: false,
      });
    }
    return account;
  }
}

function headers(bearer: string, session: string): Record<string, string> {
  return { authorization: `Bearer ${bearer}`, 'vz-m2m-token': session };
}

function enc(segment: string): string {
  return encodeURIComponent(segment);
}

/** ThingSpace documents the cursor as int64; send a number when it is exact, the digit string otherwise. */
function cursorValue(cursor: string): number | string {
  const n = Number(cursor);
  return /^\d+$/.test(cursor) && Number.isSafeInteger(n) ? n : cursor;
}
