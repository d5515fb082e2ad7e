/**
 * Whether any worker polls the task queue the webhook starts callback inboxes on. A webhook whose TASK_QUEUE differs
 * from the workers' still answers every callback 2xx (the inbox holds it durably), but no worker runs those inboxes,
 * so callbacks that beat their request workflow wait until the request polls ThingSpace, hours later. Nothing in an
 * answer shows it, so the webhook looks at start and every minute: it warns while no worker polls the queue, says
 * when one does again, and exports the count of pollers Temporal saw lately.
 */
import type { Gauge } from 'prom-client';
import type { BatcherLogger } from './batcher.js';

export const QUEUE_WATCH_INTERVAL_MS = 60_000;

export interface QueueWatch {
  /** The workflow pollers Temporal saw lately, or undefined when it could not be asked (readiness reports that). */
  check(): Promise<number | undefined>;
  stop(): void;
}

export function watchWorkerQueue(options: {
  pollers: () => Promise<number>;
  taskQueue: string;
  namespace: string;
  gauge: Gauge;
  log: BatcherLogger;
  intervalMs?: number;
}): QueueWatch {
  const { taskQueue, namespace, log } = options;
  let last: number | undefined;
  const check = async (): Promise<number | undefined> => {
    let pollers: number;
    try {
      pollers = await options.pollers();
    } catch {
      return undefined;
    }
    options.gauge.set(pollers);
    if (pollers === 0 && last !== 0) {
      log.warn(
        { taskQueue, namespace },
        `no worker polls task queue ${taskQueue}: callbacks that come before their request workflow wait in ` +
          "inboxes there until one does; give the webhook the workers' TASK_QUEUE",
      );
    } else if (pollers > 0 && last === 0) {
      log.info({ taskQueue, namespace, pollers }, `workers poll task queue ${taskQueue} again`);
    }
    last = pollers;
    return pollers;
  };
  void check();
  const timer = setInterval(() => void check(), options.intervalMs ?? QUEUE_WATCH_INTERVAL_MS);
  timer.unref();
  return { check, stop: () => clearInterval(timer) };
}
