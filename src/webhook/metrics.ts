/**
 * Prometheus metrics on a registry of the webhook's own, so that several webhooks in one process (tests) do not
 * collide and the default process metrics are registered once per instance.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type RejectReason =
  | 'unauthorized'
  | 'invalid_body'
  | 'malformed_json'
  | 'too_large'
  | 'rate_limited'
  | 'auth_rate_limited'
  | 'unsupported'
  | 'workflow_not_found'
  | 'temporal_unavailable'
  | 'shutting_down';

/**
 * Answered 2xx: signalled (to the request workflow or an inbox), or kept in the late inbox of a request workflow that
 * had closed, or an interim status with nothing to apply.
 */
export type AckOutcome = 'signalled' | 'workflow_closed' | 'interim';

export type SignalResult = 'signalled' | 'workflow_closed' | 'not_found' | 'error';

export interface WebhookMetrics {
  registry: Registry;
  received: Counter<'route'>;
  acknowledged: Counter<'service' | 'outcome'>;
  rejected: Counter<'reason'>;
  batchSize: Histogram;
  signalSeconds: Histogram<'result'>;
  workerPollers: Gauge;
}

export function createMetrics(options: { defaultMetrics?: boolean } = {}): WebhookMetrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'webhook_' });
  const registers = [registry];
  return {
    registry,
    received: new Counter({
      name: 'webhook_callbacks_received_total',
      help: 'Callback POSTs received, whatever their fate.',
      labelNames: ['route'],
      registers,
    }),
    acknowledged: new Counter({
      name: 'webhook_callbacks_acknowledged_total',
      help: 'Callbacks answered 2xx.',
      labelNames: ['service', 'outcome'],
      registers,
    }),
    rejected: new Counter({
      name: 'webhook_callbacks_rejected_total',
      help: 'Callbacks answered 4xx/5xx, by reason; ThingSpace resends the 5xx ones.',
      labelNames: ['reason'],
      registers,
    }),
    workerPollers: new Gauge({
      name: 'webhook_task_queue_workflow_pollers',
      help: "Workers Temporal saw polling the webhook's TASK_QUEUE for workflow tasks lately; 0 leaves early callbacks unserved.",
      registers,
    }),
    batchSize: new Histogram({
      name: 'webhook_batch_size',
      help: 'Callbacks carried by one signal attempt.',
      buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000],
      registers,
    }),
    signalSeconds: new Histogram({
      name: 'webhook_signal_duration_seconds',
      help: 'Time to get one batch signal accepted (or refused) by Temporal.',
      labelNames: ['result'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
  };
}
