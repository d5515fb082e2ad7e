/**
 * Waits for `probe` to hold, checking every 200 ms as Temporal's state changes; fails naming `what` after `ms` of real
 * time. For states a test cannot be told about (a heartbeat reaching the server, a watch round completing).
 */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const until = Date.now() + ms;
  let last: unknown;
  for (;;) {
    const value = await probe().catch((err: unknown) => {
      last = err;
      return undefined;
    });
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what} (last error: ${String(last)})`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
