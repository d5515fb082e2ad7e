import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { SimContext } from './context.js';
import { ErrorCodes, gatewayFault, m2mError, oauthError } from './errors.js';
import type { SeedApp, SeedUser } from './model.js';

interface OAuthToken {
  token: string;
  appKey: string;
  expiresAt: number;
}

export interface Session {
  token: string;
  username: string;
  accountNames: readonly string[];
  createdAt: number;
  lastUsedAt: number;
  /** Set by the admin API to force the expired answer on the next call. */
  forcedExpired: boolean;
}

const newToken = () => randomBytes(24).toString('base64url');

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** OAuth client credentials, M2M sessions and the login lockout. */
export class AuthStore {
  private readonly apps = new Map<string, string>();
  private readonly users = new Map<string, SeedUser>();
  private readonly tokensByApp = new Map<string, OAuthToken>();
  private readonly tokens = new Map<string, OAuthToken>();
  private readonly sessions = new Map<string, Session>();
  private readonly failedLogins = new Map<string, number>();
  private readonly locked = new Set<string>();

  constructor(
    private readonly ctx: SimContext,
    apps: readonly SeedApp[],
    users: readonly SeedUser[],
  ) {
    for (const app of apps) this.apps.set(app.appKey, app.appSecret);
    for (const user of users) this.users.set(user.username, user);
  }

  /** Same token while it is valid, as ThingSpace does within its hour. */
  issueToken(authorization: string | undefined, grantType: unknown) {
    const match = /^Basic\s+(.+)$/i.exec(authorization ?? '');
    if (!match?.[1]) throw oauthError(401, 'invalid_client', 'Client authentication failed');
    const decoded = Buffer.from(match[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const appKey = colon >= 0 ? decoded.slice(0, colon) : decoded;
    const secret = this.apps.get(appKey);
    if (colon < 0 || secret === undefined || !safeEqual(secret, decoded.slice(colon + 1))) {
      throw oauthError(401, 'invalid_client', 'Client authentication failed');
    }
    if (grantType !== 'client_credentials') {
      throw oauthError(400, 'unsupported_grant_type', 'Unsupported grant_type value');
    }
    const now = this.ctx.now();
    let current = this.tokensByApp.get(appKey);
    if (!current || current.expiresAt <= now) {
      if (current) this.tokens.delete(current.token);
      current = { token: newToken(), appKey, expiresAt: now + this.ctx.config.oauthTokenTtlSeconds * 1000 };
      this.tokensByApp.set(appKey, current);
      this.tokens.set(current.token, current);
    }
    return {
      access_token: current.token,
      token_type: 'Bearer' as const,
      expires_in: Math.max(1, Math.floor((current.expiresAt - now) / 1000)),
      scope: 'default',
    };
  }

  checkBearer(authorization: string | undefined): void {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    if (!match?.[1]) throw gatewayFault('900902');
    const token = this.tokens.get(match[1]);
    if (!token || token.expiresAt <= this.ctx.now()) throw gatewayFault('900901');
  }

  login(username: string, password: string): { sessionToken: string; expiresIn?: number } {
    if (this.locked.has(username)) {
      throw m2mError(ErrorCodes.accountLocked, 'The account is locked after too many failed login attempts.');
    }
    const user = this.users.get(username);
    if (!user || !safeEqual(user.password, password)) {
      const failures = (this.failedLogins.get(username) ?? 0) + 1;
      this.failedLogins.set(username, failures);
      if (failures >= this.ctx.config.maxFailedLogins) {
        this.locked.add(username);
        this.ctx.log.warn({ username, failures }, 'account locked after failed logins');
      }
      throw m2mError(ErrorCodes.loginFailed, 'Invalid username or password.');
    }
    this.failedLogins.delete(username);
    const now = this.ctx.now();
    const session: Session = {
      token: newToken(),
      username,
      accountNames: user.accountNames,
      createdAt: now,
      lastUsedAt: now,
      forcedExpired: false,
    };
    this.sessions.set(session.token, session);
    const expiresIn = this.ctx.config.sessionExpiresInSeconds;
    return expiresIn === null ? { sessionToken: session.token } : { sessionToken: session.token, expiresIn };
  }

  logout(token: string | undefined): { sessionToken: string } {
    const session = this.checkSession(token);
    this.sessions.delete(session.token);
    return { sessionToken: session.token };
  }

  /** Validates `VZ-M2M-Token` and refreshes the idle timer, as every M2M call does. */
  checkSession(token: string | undefined): Session {
    if (!token) throw m2mError(ErrorCodes.sessionInvalid, 'Session token is missing.');
    const session = this.sessions.get(token);
    if (!session) throw m2mError(ErrorCodes.sessionInvalid, 'Session token is invalid.');
    const now = this.ctx.now();
    const { sessionIdleTimeoutMs, sessionMaxLifetimeMs } = this.ctx.config;
    if (
      session.forcedExpired ||
      now - session.lastUsedAt > sessionIdleTimeoutMs ||
      now - session.createdAt > sessionMaxLifetimeMs
    ) {
      this.sessions.delete(token);
      throw m2mError(ErrorCodes.sessionExpired, 'Session token has expired.');
    }
    session.lastUsedAt = now;
    return session;
  }

  /** Clears the lockout and the failure count of one user, or of everyone. */
  resetLockout(username?: string): void {
    if (username === undefined) {
      this.locked.clear();
      this.failedLogins.clear();
    } else {
      this.locked.delete(username);
      this.failedLogins.delete(username);
    }
  }

  lockoutState(username: string): { locked: boolean; failedLogins: number } {
    return { locked: this.locked.has(username), failedLogins: this.failedLogins.get(username) ?? 0 };
  }

  /** Lets tests exercise the client's renewal paths without waiting an hour. */
  expire(what: 'oauth' | 'sessions' | 'all'): void {
    if (what !== 'sessions') {
      this.tokens.clear();
      this.tokensByApp.clear();
    }
    if (what !== 'oauth') for (const session of this.sessions.values()) session.forcedExpired = true;
  }

  addUser(user: SeedUser): void {
    this.users.set(user.username, user);
  }
}
