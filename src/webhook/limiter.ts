/**
 * A count per client in fixed windows (one minute by default) that starts at the client's first count: beyond
 * `max`, `retryAfterSeconds` says how long until its window ends. In memory and per instance; a plain map lookup
 * and a clock read per call, so it can sit in front of every request.
 */
export interface WindowLimiter {
  /** Seconds until `client` may try again, or undefined while it is under the limit. */
  retryAfterSeconds(client: string): number | undefined;
  record(client: string): void;
  /** record() unless the client is over its limit; then the seconds until it may try again. */
  hit(client: string): number | undefined;
  readonly max: number;
}

export interface WindowLimiterOptions {
  max: number;
  windowMs?: number;
  /**
   * Clients tracked at once (a map entry each). Beyond it, clients not yet tracked share one entry: a spray from
   * more addresses than that is still bounded, at the price of refusing those clients together for the window.
   */
  maxClients?: number;
  now?: () => number;
}

const SHARED_ENTRY = '(other clients)';

export function windowLimiter(options: WindowLimiterOptions): WindowLimiter {
  const { max, windowMs = 60_000, maxClients = 100_000, now = Date.now } = options;
  const entries = new Map<string, { count: number; resetAt: number }>();
  const current = (client: string, at: number) => {
    const entry = entries.get(client) ?? entries.get(SHARED_ENTRY);
    if (entry && entry.resetAt <= at) {
      entries.delete(entries.get(client) ? client : SHARED_ENTRY);
      return undefined;
    }
    return entry;
  };
  const prune = (at: number) => {
    for (const [client, entry] of entries) if (entry.resetAt <= at) entries.delete(client);
  };
  const retryAfter = (entry: { count: number; resetAt: number } | undefined, at: number) =>
    entry && entry.count >= max ? Math.max(1, Math.ceil((entry.resetAt - at) / 1000)) : undefined;
  const record = (client: string, at: number, known: { count: number; resetAt: number } | undefined) => {
    let entry = known;
    if (!entry) {
      if (entries.size >= maxClients) prune(at);
      const key = entries.size >= maxClients ? SHARED_ENTRY : client;
      entry = entries.get(key) ?? { count: 0, resetAt: at + windowMs };
      entries.set(key, entry);
    }
    entry.count += 1;
  };
  return {
    max,
    retryAfterSeconds(client) {
      const at = now();
      return retryAfter(current(client, at), at);
    },
    record(client) {
      const at = now();
      record(client, at, current(client, at));
    },
    hit(client) {
      const at = now();
      const entry = current(client, at);
      const wait = retryAfter(entry, at);
      if (wait === undefined) record(client, at, entry);
      return wait;
    },
  };
}
