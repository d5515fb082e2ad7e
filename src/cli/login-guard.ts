/**
 * `login-guard`: shows the deployment-wide failed-login guard of a ThingSpace username (the workflow every worker
 * takes its login permits from) and, with `--reset`, allows logins again once the credentials were fixed.
 */
import { Command } from 'commander';
import { connectClient } from '../temporal/connection.js';
import { loginGuardWorkflowId, readLoginGuard, resetLoginGuard } from '../temporal/login-guard.js';
import type { LoginGuardView } from '../thingspace/auth/login-budget.js';
import { webUiLink } from './context.js';
import { LOGIN_GUARD_TASK_QUEUE } from '../task-queues.js';
import { CliError, type CliIo } from './io.js';

const ANSWER_TIMEOUT_MS = 15_000;

export function describeLoginGuard(username: string, view: LoginGuardView): string[] {
  const counts = `${view.failures} of ${view.limit} failed logins in a row, ${view.outstanding} login(s) in flight`;
  const refusal = view.lastRefusal
    ? `last refusal ${view.lastRefusal.errorCode ?? '(no error code)'} at ${view.lastRefusal.at}`
    : 'no refusal recorded';
  if (!view.blocked) return [`Login guard for ${username}: ok (${counts}; ${refusal})`];
  return [
    `Login guard for ${username}: BLOCKED since ${view.blockedSince ?? '?'} (${counts}; ${refusal})`,
    '  Logins are refused here, before reaching ThingSpace; callers back off 5 minutes and try again.',
    '  Fix THINGSPACE_PASSWORD (or the user in ThingSpace), then run: thingspace-activation login-guard --reset',
  ];
}

export function loginGuardCommand(io: CliIo): Command {
  return new Command('login-guard')
    .description("show the workers' shared failed-login guard; --reset allows logins again after a credential fix")
    .option('--reset', 'forget the failed logins (after fixing the credentials)')
    .option('--username <name>', 'ThingSpace username (default: THINGSPACE_USERNAME)')
    .option('--json', 'print JSON')
    .action(async (flags: { reset?: boolean; username?: string; json?: boolean }) => {
      const username = flags.username ?? io.env.THINGSPACE_USERNAME;
      if (!username) throw new CliError('no username: pass --username or set THINGSPACE_USERNAME');
      const client = await connectClient();
      // The guard answers through a worker: without one polling its queue, say so instead of hanging.
      const ask = async <T>(fn: () => Promise<T>): Promise<T> => {
        try {
          return await client.withDeadline(Date.now() + ANSWER_TIMEOUT_MS, fn);
        } catch (err) {
          throw new CliError(
            `the login guard of ${username} did not answer (${(err as Error).message}); it answers through a ` +
              `running worker (workers serve the ${LOGIN_GUARD_TASK_QUEUE} task queue), within ${ANSWER_TIMEOUT_MS / 1000} s`,
          );
        }
      };
      try {
        const before = await ask(() => readLoginGuard(client, username));
        if (!before) {
          if (flags.json) io.out(JSON.stringify({ username, exists: false }));
          else
            io.out(
              `No login guard for ${username} yet: no worker has logged in with it${flags.reset ? '; nothing to reset' : ''}.`,
            );
          return;
        }
        const view = flags.reset ? ((await ask(() => resetLoginGuard(client, username))) ?? before) : before;
        if (flags.json) {
          io.out(JSON.stringify({ username, exists: true, ...(flags.reset && { before }), ...view }, null, 2));
          return;
        }
        if (flags.reset) io.out(`Reset: ${before.failures} failed login(s) forgotten; logins are allowed again.`);
        for (const line of describeLoginGuard(username, view)) io.out(line);
        io.out(`  Web UI: ${webUiLink(loginGuardWorkflowId(username))}`);
      } finally {
        await client.connection.close();
      }
    });
}
