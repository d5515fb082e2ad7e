import { ThingSpaceError, ThingSpaceLoginBlockedError } from '../errors.js';
import type { HttpRequest } from '../http.js';
import { errorFromResponse, parseSuccess } from '../responses.js';
import { DEFAULT_SESSION_TTL_SECONDS, SessionLoginResponseSchema } from '../schemas/auth.js';
import type { BearerTokens } from './bearer.js';
import type { AuthContext } from './context.js';
import { abortable, SingleFlight } from './single-flight.js';

const LOGIN = 'session login';

/**
 * Whether a failed login may have counted against the account's five-strikes lockout. Free are failures to get a
 * bearer (the login was never sent) and clear refusals that never reached the credential check: connection
 * refused, 429, 502, 503. Everything else counts, including ambiguous timeouts.
 */
function mayCountAsFailedLogin(error: unknown): boolean {
  if (!(error instanceof ThingSpaceError)) return true;
  if (error.operation !== LOGIN) return false;
  return !(error.retryable && !error.ambiguous);
}

/**
 * The M2M session token (`VZ-M2M-Token`). One login serves all concurrent callers; the token is renewed before its
 * idle expiry; consecutive failed logins are counted and, at the configured bound (< 5), further logins are refused
 * until `resetGuard()`, so a wrong password can never lock the account.
 */
export class Sessions {
  private cached: { token: string; ttlMs: number; renewAt: number } | undefined;
  private readonly flight = new SingleFlight<string>();
  private failures = 0;

  constructor(
    private readonly ctx: AuthContext,
    private readonly bearer: BearerTokens,
  ) {}

  get consecutiveLoginFailures(): number {
    return this.failures;
  }

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

  resetGuard(): void {
    this.failures = 0;
  }

  private renewAt(ttlMs: number): number {
    return this.ctx.now() + ttlMs - Math.min(this.ctx.config().sessionRenewMarginMs, ttlMs / 2);
  }

  private async login(): Promise<string> {
    const config = this.ctx.config();
    if (this.failures >= config.maxConsecutiveLoginFailures) {
      throw new ThingSpaceLoginBlockedError(
        `session login refused: the last ${this.failures} logins failed and ThingSpace locks the account after 5; ` +
          'fix the credentials, then reset the login guard',
        { operation: LOGIN, retryable: false },
      );
    }
    try {
      const token = await this.attemptLogin();
      this.failures = 0;
      return token;
    } catch (error) {
      if (mayCountAsFailedLogin(error)) {
        this.failures += 1;
        this.ctx.log.warn('ThingSpace session login failed', {
          consecutiveFailures: this.failures,
          limit: config.maxConsecutiveLoginFailures,
        });
      }
      throw error;
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
