import PQueue from 'p-queue';

/**
 * Runs `fn` over `items`, `concurrency` at a time. After a failure no new item starts, and the failure is thrown
 * once the calls in flight are over, so nothing runs on after the activity attempt failed.
 */
export async function forEachBounded<T>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  const queue = new PQueue({ concurrency: Math.max(1, concurrency) });
  let failure: { error: unknown } | undefined;
  for (const item of items) {
    void queue.add(async () => {
      if (failure) return;
      try {
        await fn(item);
      } catch (error) {
        failure ??= { error };
        queue.clear();
      }
    });
  }
  await queue.onIdle();
  if (failure) throw failure.error;
}
