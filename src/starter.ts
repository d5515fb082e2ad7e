#!/usr/bin/env node
/**
 * `thingspace-activation` (the package's bin; `npx tsx src/starter.ts` from a checkout). Subcommands: see
 * src/cli/program.ts, or run with --help.
 */
import { runCli } from './cli/program.js';

process.exitCode = await runCli(process.argv.slice(2));
