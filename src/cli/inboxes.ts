/**
 * `thingspace-activation inboxes`: the callbacks waiting in request inboxes — ones that came before their request
 * workflow, ones no request of ours claims (other tools' requests on the same account) and ones that came after
 * their request workflow closed, which are let go after the inbox's time to live. See README "Never twice, nothing
 * lost".
 */
import { Command } from 'commander';
import type { Client } from '@temporalio/client';
import { inboxQuery, type InboxView } from '../workflows/inbox.js';
import { LATE_INBOXES_QUERY, OPEN_INBOXES_QUERY } from '../workflows/inbox-id.js';
import { isPartJobOf } from '../workflows/job-parts.js';
import { openContext, webUiLink } from './context.js';

export interface InboxListing extends Omit<InboxView, 'devices'> {
  workflowId: string;
  startedAt: string;
  devices: number;
}

/** The open inboxes `query` lists, each as it answers; `keep` may leave some out. */
async function listed(
  client: Client,
  query: string,
  limit: number,
  keep: (view: InboxView) => Promise<boolean> = async () => true,
): Promise<InboxListing[]> {
  const found: InboxListing[] = [];
  for await (const execution of client.workflow.list({ query })) {
    if (found.length >= limit) break;
    const view = await client.workflow
      .getHandle(execution.workflowId)
      .query(inboxQuery)
      .catch(() => undefined);
    if (!view || !(await keep(view))) continue;
    const { devices, ...rest } = view;
    found.push({
      ...rest,
      workflowId: execution.workflowId,
      startedAt: execution.startTime.toISOString(),
      devices: devices.length,
    });
  }
  return found;
}

export function listInboxes(client: Client, limit = 200): Promise<InboxListing[]> {
  return listed(client, OPEN_INBOXES_QUERY, limit);
}

/**
 * The late inboxes of one job's requests (its parts' included): callbacks that came after their request workflow
 * had closed, which its report does not show. A request workflow's parent is the job or one of its part jobs.
 */
export function lateInboxesOfJob(client: Client, jobId: string, limit = 200): Promise<InboxListing[]> {
  return listed(client, LATE_INBOXES_QUERY, limit, async ({ lateFor }) => {
    if (lateFor === undefined) return false;
    const parent = await client.workflow
      .getHandle(lateFor)
      .describe()
      .then(
        (d) => d.parentExecution?.workflowId,
        () => undefined,
      );
    return typeof parent === 'string' && (parent === jobId || isPartJobOf(parent, jobId));
  });
}

export function inboxesCommand(): Command {
  return new Command('inboxes')
    .description('list callbacks held in inboxes (early, late, or ones no request of ours claims)')
    .option('--json', 'print JSON')
    .option('--limit <n>', 'at most this many inboxes', (v) => Number.parseInt(v, 10), 200)
    .action(async (flags: { json?: boolean; limit: number }) => {
      const context = await openContext();
      try {
        const inboxes = await listInboxes(context.client, flags.limit);
        if (flags.json) return console.log(JSON.stringify(inboxes, null, 2));
        if (inboxes.length === 0)
          return console.log('No open inboxes: every callback received has reached its request.');
        for (const inbox of inboxes) {
          const state = inbox.lateFor
            ? `late: came after ${inbox.lateFor} closed`
            : inbox.claimedBy
              ? `forwarding to ${inbox.claimedBy}`
              : 'unclaimed';
          console.log(
            `${inbox.requestId}  ${state}  ${inbox.received} callbacks (${inbox.held} held) for ${inbox.devices} devices, ` +
              `since ${inbox.startedAt}  ${webUiLink(inbox.workflowId)}`,
          );
        }
      } finally {
        await context.close();
      }
    });
}
