/**
 * The `thingspace-activation` command line. Each subcommand lives in its own module and is mounted here, so that
 * activate, status, report, cancel and retry can be added beside register-callbacks.
 */
import { Command, CommanderError } from 'commander';
import { processIo, type CliIo } from './io.js';
import { activateCommand } from './activate.js';
import { devicesCommand } from './devices.js';
import { inboxesCommand } from './inboxes.js';
import { cancelCommand, reportCommand, statusCommand } from './jobs.js';
import { loginGuardCommand } from './login-guard.js';
import { registerCallbacksCommand } from './register-callbacks.js';
import { retryCommand } from './retry.js';
import { storeCommand } from './store.js';

export function createProgram(io: CliIo = processIo): Command {
  const program = new Command('thingspace-activation')
    .description('Durable Verizon ThingSpace device activation on Temporal')
    .showHelpAfterError()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })
    .exitOverride();
  program.addCommand(activateCommand());
  program.addCommand(statusCommand());
  program.addCommand(reportCommand());
  program.addCommand(cancelCommand());
  program.addCommand(retryCommand());
  program.addCommand(registerCallbacksCommand(io));
  program.addCommand(loginGuardCommand(io));
  program.addCommand(inboxesCommand());
  program.addCommand(devicesCommand(io));
  program.addCommand(storeCommand(io));
  for (const command of program.commands) command.exitOverride().configureOutput(program.configureOutput());
  return program;
}

/** Runs the CLI and returns the exit code instead of exiting, so that it can be tested in process. */
export async function runCli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  try {
    await createProgram(io).parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    // ThingSpace client and settings errors are redacted at their source; the message is safe and enough.
    io.err(`error: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}
