import { ThingSpaceError, ThingSpaceHttpError } from '../errors.js';
import type { HttpRequest } from '../http.js';
import { BEARER_FAULT_CODE, errorFromResponse, parseSuccess } from '../responses.js';
import { DEFAULT_SESSION_TTL_SECONDS, SessionLoginResponseSchema } from '../schemas/auth.js';
import type { BearerTokens } from './bearer.js';
import type { AuthContext } from './context.js';
import type { LoginOutcome } from './login-budget.js';
import type { LoginGuard, LoginPermit } from './login-guard.js';
import { abortable, SingleFlight } from './single-flight.js';

const LOGIN = 'session login';

/**
 * How a failed login counts against ThingSpace's five-strikes lockout. Only a credential refusal counts: the login
 * was answered with a 4xx other than 408 and 429 (e.g. AUTHENTICATION_FAILED). Everything else is transient and
 * changes nothing: timeouts, network errors, 5xx, 408, 429, and any failure to get or present a bearer (the login
 * never reached the credential check).
 */
export function loginOutcomeOf(error: unknown): Exclude<LoginOutcome, 'success'> {
  if (!(error instanceof ThingSpaceHttpError) || error.operation !== LOGIN) return 'transient';
  const status = error.status ?? 0;
  if (status < 400 || status >= 500 || status === 408 || status === 429) return 'transient';
  if (error.errorCode === BEARER_FAULT_CODE || error.errorCode === '900902') return 'transient';
  return 'refused';
}

/**
 * The M2M session token (`VZ-M2M-Token`). One login serves all concurrent callers; the token is renewed before its
 * idle expiry; every login attempt takes a permit from the login guard and reports its outcome, so that credential
 * refusals stop at the configured bound (< 5) for the whole deployment and a wrong password can never lock the
 * account.
 */
export class Sessions {
  private cached: { token: string; ttlMs: number; renewAt: number } | undefined;
  private readonly flight = new SingleFlight<string>();

  constructor(
    private readonly ctx: AuthContext,
    private readonly bearer: BearerTokens,
    readonly guard: LoginGuard,
  ) {}

  /** The current session token if one is held and not due for renewal (no login is attempted). */
  current(): string | undefined {
    const cached = this.cached;
    return cached && this.ctx.now() < cached.renewAt ? cached.token : undefined;
  }

  async get(signal?: AbortSignal): Promise<string> {
    return (
      this.current() ??
      abortable(
        this.flight.run(() => this.login()),
        signal,
        LOGIN,
      )
    );
  }

  /** Forgets `token` unless a newer one already replaced it (so concurrent expiries cause one login, not many). */
  invalidate(token: string): void {
    if (this.cached?.token === token) this.cached = undefined;
  }

  /** A successful call restarts ThingSpace's idle timer; mirror it. */
  touch(token: string): void {
    const cached = this.cached;
    if (cached?.token === token) cached.renewAt = this.renewAt(cached.ttlMs);
  }

  clear(): void {
    this.cached = undefined;
  }

  private renewAt(ttlMs: number): number {
    return this.ctx.now() + ttlMs - Math.min(this.ctx.config().sessionRenewMarginMs, ttlMs / 2);
  }

  private async login(): Promise<string> {
    const limit = this.ctx.config().maxConsecutiveLoginFailures;
    // Not the caller's signal: the login is shared, and the guard bounds its own wait.
    const permit = await this.guard.acquire({ limit });
    let token: string;
    try {
      token = await this.attemptLogin();
    } catch (error) {
      const outcome = loginOutcomeOf(error);
      // Only the code is kept (it is shown to operators), redacted and bounded like any other error detail.
      const code = error instanceof ThingSpaceError ? error.errorCode : undefined;
      const errorCode = code === undefined ? undefined : this.ctx.redactor.redact(code).slice(0, 200);
      await this.settle(permit, outcome, errorCode);
      if (outcome === 'refused') this.ctx.log.warn('ThingSpace session login refused', { errorCode, limit });
      throw error;
    }
    await this.settle(permit, 'success');
    return token;
  }

  /** A guard that cannot be told keeps the lease until it expires; the login's own result still stands. */
  private async settle(permit: LoginPermit, outcome: LoginOutcome, errorCode?: string): Promise<void> {
    try {
      await permit.settle(outcome, errorCode);
    } catch (error) {
      this.ctx.log.warn('ThingSpace login guard could not record a login outcome', {
        outcome,
        error: error instanceof Error ? error.name : 'unknown',
      });
    }
  }

  private async attemptLogin(): Promise<string> {
    const config = this.ctx.config();
    const build = (bearer: string): HttpRequest => ({
      operation: LOGIN,
      method: 'POST',
      url: `${config.baseUrl}/m2m/v1/session/login`,
      headers: { authorization: `Bearer ${bearer}` },
      json: { username: config.username, password: config.password },
      timeoutMs: config.timeouts.authMs,
      connectTimeoutMs: config.timeouts.connectMs,
      idempotent: true,
    });
    const res = await this.bearer.send(build);
    const req = build('');
    if (res.status >= 300) throw errorFromResponse(req, res, this.ctx.redactor);
    const body = parseSuccess(req, res, SessionLoginResponseSchema, this.ctx.redactor);
    this.ctx.redactor.add(body.sessionToken);
    const ttlMs = (body.expiresIn ?? DEFAULT_SESSION_TTL_SECONDS) * 1000;
    this.cached = { token: body.sessionToken, ttlMs, renewAt: this.renewAt(ttlMs) };
    this.ctx.log.info('ThingSpace session opened', { expiresInSeconds: ttlMs / 1000 });
    return body.sessionToken;
  }
}
