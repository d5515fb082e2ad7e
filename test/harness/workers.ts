import type { Worker } from '@temporalio/worker';

/** Runs all workers until `work` settles (tests) and resolves only once they have all shut down. */
export async function runWorkersUntil<R>(workers: Worker[], work: Promise<R>): Promise<R> {
  const [outcome, ...shutdowns] = await Promise.allSettled([work, ...workers.map((worker) => worker.runUntil(work))]);
  if (outcome?.status === 'rejected') throw outcome.reason;
  const failed = shutdowns.find((s) => s.status === 'rejected');
  if (failed) throw failed.reason;
  return (outcome as PromiseFulfilledResult<R>).value;
}
