import type { HttpRequest, HttpResponse } from '../http.js';
import { errorFromResponse, isBearerFault, parseSuccess } from '../responses.js';
import { OAuthTokenResponseSchema } from '../schemas/auth.js';
import type { AuthContext } from './context.js';
import { abortable, SingleFlight } from './single-flight.js';

/** ThingSpace's tokens live an hour; used when a token response omits `expires_in`. */
const DEFAULT_TOKEN_TTL_MS = 3_600_000;

/** OAuth client-credentials bearer: cached, renewed before expiry, fetched once for all concurrent callers. */
export class BearerTokens {
  private cached: { token: string; renewAt: number } | undefined;
  private readonly flight = new SingleFlight<string>();

  constructor(private readonly ctx: AuthContext) {}

  async get(signal?: AbortSignal): Promise<string> {
    const cached = this.cached;
    if (cached && this.ctx.now() < cached.renewAt) return cached.token;
    return abortable(
      this.flight.run(() => this.fetch()),
      signal,
      'oauth token',
    );
  }

  /** Forgets `token` unless a newer one already replaced it (so concurrent 401s cause one fetch, not many). */
  invalidate(token: string): void {
    if (this.cached?.token === token) this.cached = undefined;
  }

  clear(): void {
    this.cached = undefined;
  }

  /** Sends a request carrying the bearer; on a 401 fault 900901 fetches a new bearer and sends it once more. */
  async send(build: (bearer: string) => HttpRequest, signal?: AbortSignal): Promise<HttpResponse> {
    const bearer = await this.get(signal);
    const res = await this.ctx.transport.send(build(bearer));
    if (!isBearerFault(res)) return res;
    this.ctx.log.info('ThingSpace bearer rejected; fetching a new one');
    this.invalidate(bearer);
    return this.ctx.transport.send(build(await this.get(signal)));
  }

  private async fetch(): Promise<string> {
    const config = this.ctx.config();
    const basic = Buffer.from(`${config.appKey}:${config.appSecret}`).toString('base64');
    this.ctx.redactor.add(basic);
    const req: HttpRequest = {
      operation: 'oauth token',
      method: 'POST',
      url: `${config.baseUrl}/ts/v1/oauth2/token`,
      headers: { authorization: `Basic ${basic}` },
      form: { grant_type: 'client_credentials' },
      timeoutMs: config.timeouts.authMs,
      connectTimeoutMs: config.timeouts.connectMs,
      idempotent: true,
    };
    const res = await this.ctx.transport.send(req);
    if (res.status >= 300) throw errorFromResponse(req, res, this.ctx.redactor);
    const body = parseSuccess(req, res, OAuthTokenResponseSchema, this.ctx.redactor);
    this.ctx.redactor.add(body.access_token);
    const ttlMs = body.expires_in !== undefined ? body.expires_in * 1000 : DEFAULT_TOKEN_TTL_MS;
    // Short-lived tokens (simulators, tests) would otherwise be "due for renewal" the moment they arrive.
    const margin = Math.min(config.tokenRenewMarginMs, ttlMs / 2);
    this.cached = { token: body.access_token, renewAt: this.ctx.now() + ttlMs - margin };
    this.ctx.log.debug('ThingSpace bearer obtained', { expiresInSeconds: ttlMs / 1000 });
    return body.access_token;
  }
}
