/**
 * The failed-login budget, as pure state: no clock, no I/O, no Node built-ins. The in-process guard and the
 * Temporal-held guard workflow both run it, so the deployment-wide guard and the single-process one follow the
 * same rules and the rules are unit-tested once.
 *
 * ThingSpace locks an account after five failed logins in a row; a successful login resets its count. The budget
 * mirrors that count (`failures`) and grants a login attempt (a permit) only while `failures + outstanding < limit`,
 * so concurrent attempts can never overshoot: every attempt that could still fail is already counted.
 */

/** ThingSpace locks at 5: whatever a worker asks for, the budget never allows more than 4 failures in a row. */
export const LOGIN_FAILURE_HARD_LIMIT = 4;
/** A permit is a lease: a worker that crashed mid-login frees its share after this long. */
export const DEFAULT_LOGIN_LEASE_MS = 120_000;
/** How many settled permit IDs are remembered so that a retried settle is not counted twice. */
const SETTLED_MEMORY = 64;

/**
 * `refused`: the login was answered with a credential refusal (4xx other than 408/429), which ThingSpace counts.
 * `success`: a session was opened; ThingSpace's count is back to 0. `transient`: anything else (timeout, network
 * error, 5xx, 429, a bearer or OAuth failure before the login was sent), which changes nothing.
 */
export type LoginOutcome = 'success' | 'refused' | 'transient';

export interface LoginLease {
  permitId: string;
  expiresAt: number;
}

/** Everything the budget holds; plain data, so that it can cross continue-as-new. */
export interface LoginBudgetSnapshot {
  failures: number;
  limit: number;
  leases: LoginLease[];
  /** When failures reached the limit; absent while logins are allowed. */
  blockedSince?: number;
  /** The error code of the last credential refusal (never the password or the message). */
  lastRefusal?: { errorCode: string | null; at: number };
  settled: string[];
}

/** What an operator sees: counts and times, nothing secret. */
export interface LoginGuardView {
  failures: number;
  limit: number;
  outstanding: number;
  blocked: boolean;
  /** ISO time, or null while logins are allowed. */
  blockedSince: string | null;
  lastRefusal: { errorCode: string | null; at: string } | null;
}

export interface AcquireRequest {
  /** Chosen by the caller, so that a retried acquire returns the same permit instead of taking a second one. */
  permitId: string;
  /** The caller's configured bound; capped at LOGIN_FAILURE_HARD_LIMIT. */
  limit: number;
}

export type AcquireDecision =
  | { kind: 'granted'; permitId: string; expiresAt: number }
  /** Failed logins spent the budget: nobody logs in until an operator resets it (or a login succeeds elsewhere). */
  | { kind: 'blocked'; failures: number; limit: number; blockedSince: number }
  /** Only logins in flight hold the budget: ask again once one settles (at the latest when its lease expires). */
  | { kind: 'busy'; outstanding: number; retryInMs: number };

export interface SettleRequest {
  permitId: string;
  outcome: LoginOutcome;
  errorCode?: string | null;
}

export function effectiveLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError('limit must be a positive integer');
  return Math.min(limit, LOGIN_FAILURE_HARD_LIMIT);
}

export class LoginBudget {
  private failures: number;
  private limit: number;
  private leases: LoginLease[];
  private blockedSince: number | undefined;
  private lastRefusal: { errorCode: string | null; at: number } | undefined;
  private settled: string[];

  constructor(
    snapshot: Partial<LoginBudgetSnapshot> = {},
    private readonly leaseMs: number = DEFAULT_LOGIN_LEASE_MS,
  ) {
    this.failures = snapshot.failures ?? 0;
    this.limit = effectiveLimit(snapshot.limit ?? 2);
    this.leases = [...(snapshot.leases ?? [])];
    this.blockedSince = snapshot.blockedSince;
    this.lastRefusal = snapshot.lastRefusal;
    this.settled = [...(snapshot.settled ?? [])];
  }

  get blocked(): boolean {
    return this.failures >= this.limit;
  }

  acquire(now: number, request: AcquireRequest): AcquireDecision {
    this.expire(now);
    this.limit = effectiveLimit(request.limit);
    // A worker configured with a higher bound may lift a block set under a lower one.
    if (!this.blocked) this.blockedSince = undefined;
    const held = this.leases.find((lease) => lease.permitId === request.permitId);
    if (held) return { kind: 'granted', permitId: held.permitId, expiresAt: held.expiresAt };
    if (this.failures >= this.limit) {
      this.blockedSince ??= now;
      return { kind: 'blocked', failures: this.failures, limit: this.limit, blockedSince: this.blockedSince };
    }
    if (this.failures + this.leases.length >= this.limit) {
      const firstExpiry = Math.min(...this.leases.map((lease) => lease.expiresAt));
      return { kind: 'busy', outstanding: this.leases.length, retryInMs: Math.max(0, firstExpiry - now) };
    }
    const lease = { permitId: request.permitId, expiresAt: now + this.leaseMs };
    this.leases.push(lease);
    return { kind: 'granted', ...lease };
  }

  /**
   * Records a login's outcome. A permit whose lease already expired still counts: its login really happened. A
   * permit settled before is ignored, so a retried settle cannot count one refusal twice.
   */
  settle(now: number, request: SettleRequest): void {
    if (this.settled.includes(request.permitId)) return;
    this.settled.push(request.permitId);
    if (this.settled.length > SETTLED_MEMORY) this.settled.shift();
    this.leases = this.leases.filter((lease) => lease.permitId !== request.permitId);
    if (request.outcome === 'success') {
      this.failures = 0;
      this.blockedSince = undefined;
    } else if (request.outcome === 'refused') {
      this.failures += 1;
      this.lastRefusal = { errorCode: request.errorCode ?? null, at: now };
      if (this.failures >= this.limit) this.blockedSince ??= now;
    }
  }

  /** The operator's word that the credentials were fixed: failures forgotten. Leases stay, their logins may still count. */
  reset(limit?: number): void {
    this.failures = 0;
    this.blockedSince = undefined;
    if (limit !== undefined) this.limit = effectiveLimit(limit);
  }

  /** Drops leases whose time is up: their holder crashed or lost its way. */
  expire(now: number): void {
    this.leases = this.leases.filter((lease) => lease.expiresAt > now);
  }

  view(now: number): LoginGuardView {
    return {
      failures: this.failures,
      limit: this.limit,
      outstanding: this.leases.filter((lease) => lease.expiresAt > now).length,
      blocked: this.blocked,
      blockedSince: this.blockedSince === undefined ? null : new Date(this.blockedSince).toISOString(),
      lastRefusal: this.lastRefusal
        ? { errorCode: this.lastRefusal.errorCode, at: new Date(this.lastRefusal.at).toISOString() }
        : null,
    };
  }

  snapshot(): LoginBudgetSnapshot {
    return {
      failures: this.failures,
      limit: this.limit,
      leases: [...this.leases],
      ...(this.blockedSince !== undefined && { blockedSince: this.blockedSince }),
      ...(this.lastRefusal !== undefined && { lastRefusal: this.lastRefusal }),
      settled: [...this.settled],
    };
  }
}
