import type { ThingSpaceConfig } from '../config.js';
import type { HttpTransport } from '../http.js';
import type { Redactor } from '../redact.js';

/** Structured logger; compatible with Temporal's activity `log` and with console. Messages never carry secrets. */
export interface ThingSpaceLogger {
  debug(message: string, meta?: Record<string, unknown>): void;
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
}

export const silentLogger: ThingSpaceLogger = { debug() {}, info() {}, warn() {} };

/** What the auth pieces share with the client. `config` is read on every use, so credential updates apply. */
export interface AuthContext {
  config: () => ThingSpaceConfig;
  transport: HttpTransport;
  redactor: Redactor;
  log: ThingSpaceLogger;
  now: () => number;
}
