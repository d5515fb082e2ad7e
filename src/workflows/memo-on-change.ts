import { upsertMemo } from '@temporalio/workflow';

/**
 * An `upsertMemo` that writes only when the memo differs from what it wrote last: every upsert is a history event,
 * and callers publish on every change they might have made. Workflow code: deterministic.
 */
export function memoOnChange(): (memo: Record<string, unknown>) => void {
  let shown: string | undefined;
  return (memo) => {
    const text = JSON.stringify(memo);
    if (text !== shown) upsertMemo(memo);
    shown = text;
  };
}
