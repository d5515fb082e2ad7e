import got, { RequestError, type Got } from 'got';
import type { IncomingHttpHeaders } from 'node:http';
import {
  ThingSpaceAbortError,
  type ThingSpaceError,
  ThingSpaceNetworkError,
  ThingSpaceTimeoutError,
  type ThingSpaceErrorDetails,
} from './errors.js';
import type { Redactor } from './redact.js';

export interface HttpRequest {
  operation: string;
  method: 'GET' | 'POST' | 'DELETE';
  url: string;
  headers: Record<string, string>;
  json?: unknown;
  form?: Record<string, string>;
  timeoutMs: number;
  connectTimeoutMs: number;
  signal?: AbortSignal | undefined;
  /** Whether sending the same call twice is harmless; an ambiguous failure of a non-idempotent call is not retryable. */
  idempotent: boolean;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** The body decoded as JSON, or undefined when it is empty or not JSON (XML and HTML gateway pages happen). */
  json: unknown;
}

/** Codes that prove the request never reached the server. */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
]);
const NOT_SENT_TIMEOUT_EVENTS = new Set(['lookup', 'connect', 'secureConnect']);

export function decodeJson(text: string): unknown {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{') && !trimmed.startsWith('[')) return undefined;
  try {
    return JSON.parse(trimmed);
  } catch {
    return undefined;
  }
}

/**
 * Sends one HTTP request with got and no retries (retrying is the Temporal activity's job). Every HTTP status comes
 * back as a response; only transport failures throw, already turned into ThingSpaceErrors.
 */
export class HttpTransport {
  private readonly got: Got;

  constructor(
    private readonly redactor: Redactor,
    userAgent: string,
  ) {
    this.got = got.extend({
      retry: { limit: 0 },
      throwHttpErrors: false,
      followRedirect: false,
      responseType: 'text',
      headers: { 'user-agent': userAgent, accept: 'application/json' },
    });
  }

  async send(req: HttpRequest): Promise<HttpResponse> {
    if (req.signal?.aborted) {
      throw new ThingSpaceAbortError(`${req.operation} aborted before it was sent`, {
        operation: req.operation,
        retryable: false,
      });
    }
    try {
      const response = await this.got(req.url, {
        method: req.method,
        headers: req.headers,
        ...(req.json !== undefined ? { json: req.json } : {}),
        ...(req.form !== undefined ? { form: req.form } : {}),
        timeout: { request: req.timeoutMs, connect: req.connectTimeoutMs },
        ...(req.signal ? { signal: req.signal } : {}),
      });
      return {
        status: response.statusCode,
        headers: response.headers,
        text: response.body,
        json: decodeJson(response.body),
      };
    } catch (error) {
      throw this.transportError(req, error);
    }
  }

  private transportError(req: HttpRequest, error: unknown): ThingSpaceError {
    if (!(error instanceof RequestError)) {
      return new ThingSpaceNetworkError(`${req.operation} failed: ${this.describe(error)}`, {
        operation: req.operation,
        retryable: req.idempotent,
        ambiguous: true,
      });
    }
    const event = 'event' in error ? String(error.event) : undefined;
    const neverConnected = error.timings?.connect === undefined && error.timings?.secureConnect === undefined;
    const notSent =
      NOT_SENT_CODES.has(error.code) || (event !== undefined && NOT_SENT_TIMEOUT_EVENTS.has(event)) || neverConnected;
    const details: ThingSpaceErrorDetails = {
      operation: req.operation,
      ambiguous: !notSent,
      retryable: notSent || req.idempotent,
    };
    if (error.name === 'AbortError') {
      return new ThingSpaceAbortError(`${req.operation} aborted by the caller`, { ...details, retryable: false });
    }
    if (error.name === 'TimeoutError') {
      const phase = event ? ` (${event} phase)` : '';
      return new ThingSpaceTimeoutError(`${req.operation} timed out${phase}`, details);
    }
    return new ThingSpaceNetworkError(`${req.operation} failed: ${error.code} ${this.describe(error)}`, details);
  }

  private describe(error: unknown): string {
    const message = error instanceof Error ? error.message : String(error);
    return this.redactor.redact(message).slice(0, 200);
  }
}
