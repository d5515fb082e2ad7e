/**
 * Every payload in a decoded Temporal message (a history, an event, a response), found by shape: an object with
 * `metadata` and `data` bytes. So every place that carries one is covered (inputs, results, signals, markers, memo,
 * headers, failures) without a list of event types to keep up to date.
 */
import type { Payload } from '@temporalio/common';

const isPayload = (value: object): value is Payload =>
  'metadata' in value && (value as { data?: unknown }).data instanceof Uint8Array;

export function payloadsIn(value: unknown, found: Payload[] = []): Payload[] {
  if (typeof value !== 'object' || value === null || value instanceof Uint8Array) return found;
  if (isPayload(value)) found.push(value);
  else if (Array.isArray(value)) for (const inner of value) payloadsIn(inner, found);
  else for (const inner of Object.values(value)) payloadsIn(inner, found);
  return found;
}
