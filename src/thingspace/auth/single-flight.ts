import { ThingSpaceAbortError } from '../errors.js';

/** Concurrent callers of `run` share one execution until it settles. */
export class SingleFlight<T> {
  private inflight: Promise<T> | undefined;

  run(fn: () => Promise<T>): Promise<T> {
    this.inflight ??= fn().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }
}

/**
 * Lets one caller stop waiting for shared work (a login other callers also wait for) without cancelling it.
 */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined, operation: string): Promise<T> {
  if (!signal) return promise;
  const aborted = () => new ThingSpaceAbortError(`${operation} aborted by the caller`, { operation, retryable: false });
  if (signal.aborted) return Promise.reject(aborted());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(aborted());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
