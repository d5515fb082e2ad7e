import { describe, expect, it } from '@jest/globals';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { Worker } from '@temporalio/worker';
import { dataConverter } from '../../src/temporal/connection.js';
import { recordedHistories } from '../harness/histories.js';

describe('recorded workflow histories', () => {
  it('replay against the current workflow code without non-determinism', async () => {
    const recorded = await recordedHistories();
    expect(recorded.map((r) => r.name)).toEqual(
      expect.arrayContaining([
        'job-mixed',
        'job-storm',
        'request-mixed',
        'request-polled',
        'request-unknown-id',
        // A selection job resolved in workflow memory, recorded before the 'selection-staged' patch: keep it as it
        // is (re-recording would record the staged path instead).
        'job-selection-inline',
        // A job of three parts recorded at a6e4e33, before the 'two-parts-in-flight' patch: all three parts start at
        // once (four were allowed in flight). Keep it as it is; the scale test that ran it no longer records it.
        'job-parts-four-in-flight',
        // A request recorded at 11360c7, before the 'nidd-after-carrier-failure' patch: it ends as soon as its NB-IoT
        // device's line fails, without waiting for that device's NiddService callback. Keep it as it is.
        'request-nidd-failed-line',
        // The same after the patch: the request waits for the failed device's NiddService callback.
        'request-nidd-awaited',
        // A request that claimed its inbox, recorded before the 'release-inboxes-before-close' patch (it releases
        // the inbox after its report closed; keep it as it is), and the same after the patch.
        'request-claims-inbox',
        'request-releases-inbox-first',
        // A late inbox (callbacks for a request workflow that had closed), waiting out its time to live.
        'inbox-late',
        // Mixed callbacks, recorded before the 'progress-memo' patch (keep it as it is), and the same after it: the
        // request publishes its progress in its memo as callbacks come.
        'request-mixed',
        'request-publishes-progress',
        // A job that claims its devices and its polled request, before the 'progress-memo' patch (keep them as they
        // are), and the same after it: the job and the request publish their progress in their memo.
        'job-mixed-claims',
        'request-polled-claims-inbox',
        'job-publishes-progress',
        'request-polled-publishes-progress',
      ]),
    );
    const results = Worker.runReplayHistories(
      { workflowBundle: { codePath: process.env.TEMPORAL_TEST_WORKFLOW_BUNDLE! }, dataConverter },
      recorded.map(({ name, history }) => ({ workflowId: name, history: historyFromJSON(history) })),
    );
    const failures: string[] = [];
    for await (const result of results)
      if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
    expect(failures).toEqual([]);
  });
});
