/** What a command may touch, passed in so that tests run commands in process with their own env and output. */
export interface CliIo {
  env: Record<string, string | undefined>;
  out(line: string): void;
  err(line: string): void;
  /** The clock of commands that compute a cutoff (tests move it forward); the system's by default. */
  now?: () => Date;
}

export const processIo: CliIo = {
  env: process.env,
  out: (line) => console.log(line),
  err: (line) => console.error(line),
};

/** A failure the user can fix; printed as its message alone, without a stack. */
export class CliError extends Error {
  override name = 'CliError';
}
