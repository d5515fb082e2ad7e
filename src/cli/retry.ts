import { Command, InvalidArgumentError, Option } from 'commander';
import { RETRYABLE_OUTCOMES, type RetryOutcome } from '../client.js';
import { openContext, webUiLink } from './context.js';
import { followJob } from './progress-bar.js';
import { printSummary } from './summary.js';

function outcomeList(value: string): RetryOutcome[] {
  const outcomes = value
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  const unknown = outcomes.filter((o) => !(RETRYABLE_OUTCOMES as readonly string[]).includes(o));
  if (outcomes.length === 0 || unknown.length > 0)
    throw new InvalidArgumentError(
      `outcomes must be a comma-separated list of ${RETRYABLE_OUTCOMES.join(', ')}${unknown.length ? `; got ${unknown.join(', ')}` : ''}`,
    );
  return outcomes as RetryOutcome[];
}

export function retryCommand(): Command {
  return new Command('retry')
    .description(
      'start a new job for the devices a finished job left failed, unresolved or unconfirmed (same settings; devices active by then are skipped)',
    )
    .argument('<jobId>', 'the finished job')
    .addOption(
      new Option('--outcomes <list>', 'which devices to retry, by the outcome the job gave them (comma-separated)')
        .argParser(outcomeList)
        .default([...RETRYABLE_OUTCOMES], RETRYABLE_OUTCOMES.join(',')),
    )
    .option('--wait', 'follow the new job with a progress bar and print its summary')
    .addHelpText(
      'after',
      '\nThe new job is <jobId>-retry-1 (then -2 … for other outcomes); its memo field retryOf names the first job.\n' +
        'Asking again for the same outcomes finds that job instead of starting another.',
    )
    .action(async (jobId: string, flags: { outcomes: RetryOutcome[]; wait?: boolean }) => {
      const context = await openContext();
      try {
        const retry = await context.activation.retry(jobId, { outcomes: flags.outcomes });
        console.log(
          `${retry.started ? 'Started' : 'Already exists, not started again:'} job ${retry.jobId} (${retry.devices} devices ${flags.outcomes.join(' or ')} in ${jobId})`,
        );
        console.log(`Web UI: ${webUiLink(retry.jobId)}`);
        if (flags.wait) {
          await followJob(context.activation, retry.jobId);
          const result = await context.activation.result(retry.jobId);
          await printSummary(result, context.activation.report(retry.jobId));
        }
      } finally {
        await context.close();
      }
    });
}
