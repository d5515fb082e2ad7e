/**
 * Runs `fn` over `items`, `concurrency` at a time. After a failure no new item starts, and the failure is thrown
 * once the calls in flight are over, so nothing runs on after the activity attempt failed.
 * A few runners take the next item in turn, instead of a queued task per item: a look-up can have a unit per device,
 * and its queued closures and promises were 4.5 % of the main thread's allocations in a 200,000-device job.
 */
export async function forEachBounded<T>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const runner = async () => {
    while (!failure && next < items.length) {
      const item = items[next++] as T;
      try {
        await fn(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  const runners = Math.max(1, Math.min(concurrency, items.length));
  await Promise.all(Array.from({ length: runners }, runner));
  if (failure) throw failure.error;
}
