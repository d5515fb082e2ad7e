/**
 * What a case measures besides wall time: every workflow run's history against Temporal's warning thresholds, the
 * job's phases from its own search-attribute upserts, and the simulator's callback delivery rate.
 */
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { payloadsIn } from '../src/temporal/history-payloads.js';

// @temporalio/proto is CommonJS: its namespace arrives as the default export under ESM.
const proto = (await import('@temporalio/proto')).default.temporal.api;

type History = temporal.api.history.v1.IHistory;

/** Temporal's warning thresholds (it fails at 51,200 events, 50 MB of history and 2 MB per payload). */
export const WARNING = { events: 10_240, historyBytes: 10 * 1024 * 1024, payloadBytes: 512 * 1024 };

export interface RunFigures {
  workflowId: string;
  runId: string;
  type: string;
  events: number;
  bytes: number;
  largestPayload: number;
  signals: number;
  /** Why the history could not be read (its figures are then Infinity). */
  error?: string;
}

export interface HistoryFigures {
  runs: RunFigures[];
  /** The job's phases in order, with when each began (ms since epoch, from the server's event times). */
  phases: { phase: string; at: number }[];
  jobStart: number;
  jobEnd: number;
}

const eventTime = (ts: { seconds?: unknown; nanos?: number | null } | null | undefined) =>
  Number(String(ts?.seconds ?? 0)) * 1000 + (ts?.nanos ?? 0) / 1e6;

/** Payloads are found by shape, so every place that carries one (inputs, results, signals, markers) is covered. */
function largestPayload(history: History): number {
  let largest = 0;
  for (const payload of payloadsIn(history.events)) {
    largest = Math.max(largest, proto.common.v1.Payload.encode(payload).finish().length);
  }
  return largest;
}

/**
 * Every run on the case's task queue (its own, so nothing else is counted): the job, its request workflows, and any
 * run they continued as new into.
 */
export async function measureHistories(client: Client, taskQueue: string, jobId: string): Promise<HistoryFigures> {
  const runs: RunFigures[] = [];
  let phases: HistoryFigures['phases'] = [];
  let jobStart = NaN;
  let jobEnd = NaN;
  for await (const execution of client.workflow.list({ query: `TaskQueue = '${taskQueue}'` })) {
    let history: History;
    try {
      history = await client.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory();
    } catch (err) {
      // A history too big to read is a finding, not a reason to lose the other runs' figures: counted as over.
      runs.push({
        workflowId: execution.workflowId,
        runId: execution.runId,
        type: execution.type,
        events: Infinity,
        bytes: Infinity,
        largestPayload: Infinity,
        signals: 0,
        error: err instanceof Error ? err.message.slice(0, 200) : String(err),
      });
      continue;
    }
    const events = history.events ?? [];
    runs.push({
      workflowId: execution.workflowId,
      runId: execution.runId,
      type: execution.type,
      events: events.length,
      bytes: proto.history.v1.History.encode(history).finish().length,
      largestPayload: largestPayload(history),
      signals: events.filter((event) => event.workflowExecutionSignaledEventAttributes).length,
    });
    if (execution.workflowId !== jobId) continue;
    jobStart = eventTime(events[0]?.eventTime);
    jobEnd = eventTime(events.at(-1)?.eventTime);
    phases = events.flatMap((event) => {
      const field =
        event.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields?.ActivationPhase;
      if (!field?.data) return [];
      return [
        { phase: JSON.parse(Buffer.from(field.data).toString('utf8')) as string, at: eventTime(event.eventTime) },
      ];
    });
  }
  return { runs, phases, jobStart, jobEnd };
}

/** Seconds spent in each phase: from the phase's upsert to the next one's (the last one ends with the job). */
export function phaseSeconds(figures: HistoryFigures): Record<string, number> {
  const out: Record<string, number> = {};
  figures.phases.forEach(({ phase, at }, i) => {
    const end = figures.phases[i + 1]?.at ?? figures.jobEnd;
    out[phase] = (out[phase] ?? 0) + (end - at) / 1000;
  });
  return out;
}

export interface CallbackRate {
  delivered: number;
  /** From the first acknowledged callback to the last, as the simulator counts them. */
  seconds: number;
  perSecond: number;
  failedSends: number;
  exhausted: number;
}

/**
 * Polls the simulator's counters while a case runs. The first and last change of the acknowledged count bound the
 * delivery window; the poll period bounds the error (a quarter second on windows of several seconds).
 */
export async function sampleCallbacks(
  read: () => Promise<{ acknowledged: number; failedSends: number; exhausted: number }>,
  periodMs = 250,
) {
  const base = await read();
  let last = base;
  let first = NaN;
  let lastChange = NaN;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      await new Promise((resolve) => setTimeout(resolve, periodMs));
      const now = await read();
      if (now.acknowledged !== last.acknowledged) {
        if (Number.isNaN(first)) first = performance.now() - periodMs / 2;
        lastChange = performance.now() - periodMs / 2;
      }
      last = now;
    }
  })();
  return {
    async stop(): Promise<CallbackRate> {
      stopped = true;
      await loop;
      const delivered = last.acknowledged - base.acknowledged;
      const seconds = (lastChange - first) / 1000;
      return {
        delivered,
        seconds,
        perSecond: seconds > 0 ? delivered / seconds : NaN,
        failedSends: last.failedSends - base.failedSends,
        exhausted: last.exhausted - base.exhausted,
      };
    },
  };
}
