/**
 * A child process the cluster owns: started from a fixed command line, so it can be killed (SIGKILL for the fault
 * tests, SIGTERM to stop) and started again the same way. Output goes to a log file and a short in-memory tail.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';

export interface SupervisedSpec {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Run as this user (the cluster runs as root; PostgreSQL refuses to). */
  uid?: number;
  gid?: number;
  logFile: string;
  /** The signal that asks it to stop cleanly. */
  stopSignal?: NodeJS.Signals;
  /** How long a clean stop may take before SIGKILL. */
  stopTimeoutMs?: number;
}

export class Supervised {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private log: WriteStream | undefined;
  private tail: string[] = [];
  private listeners = new Set<() => void>();
  /** Incremented by each start, so a waiter can tell this run's lines from an earlier run's. */
  private run = 0;
  private lines: { run: number; text: string }[] = [];

  constructor(readonly spec: SupervisedSpec) {}

  get name(): string {
    return this.spec.name;
  }

  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The last lines of output, for error messages. */
  lastLines(n = 8): string {
    return this.tail
      .slice(-n)
      .map((line) => (line.length > 400 ? `${line.slice(0, 400)}…` : line))
      .join('\n');
  }

  start(): void {
    if (this.running) throw new Error(`${this.name} is already running`);
    this.log ??= createWriteStream(this.spec.logFile, { flags: 'a' });
    this.run++;
    this.lines = [];
    const options: SpawnOptions = {
      cwd: this.spec.cwd,
      env: { ...process.env, ...this.spec.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(this.spec.uid !== undefined && { uid: this.spec.uid, gid: this.spec.gid }),
    };
    const child = spawn(this.spec.command, this.spec.args, options);
    this.child = child;
    const run = this.run;
    const collect = (chunk: Buffer) => {
      this.log?.write(chunk);
      for (const text of chunk.toString().split('\n').filter(Boolean)) {
        this.tail.push(text);
        if (run === this.run) this.lines.push({ run, text });
      }
      if (this.tail.length > 200) this.tail.splice(0, this.tail.length - 200);
      if (this.lines.length > 2_000) this.lines.splice(0, this.lines.length - 2_000);
      for (const listener of this.listeners) listener();
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.log?.write(`\n[cluster] ${this.name} exited (${signal ?? `code ${code}`})\n`);
        for (const listener of this.listeners) listener();
        resolve();
      });
      child.once('error', (err) => {
        this.tail.push(`could not run ${this.spec.command}: ${err.message}`);
        resolve();
      });
    });
  }

  /** Rejects when this run exits (for start-up: a process that dies must fail the start at once). */
  failOnExit(): Promise<never> {
    const run = this.run;
    return this.exited.then(() => {
      throw new Error(`${this.name} exited${run === this.run ? '' : ' (an earlier run)'}:\n${this.lastLines()}`);
    });
  }

  /** Resolves when this run has printed a line matching `pattern`; rejects when it exits first or on timeout. */
  waitFor(pattern: RegExp, timeoutMs = 60_000): Promise<void> {
    const run = this.run;
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.lines.some((line) => line.run === run && pattern.test(line.text))) return finish();
        if (!this.running || run !== this.run)
          finish(new Error(`${this.name} exited before printing ${pattern}:\n${this.lastLines()}`));
      };
      const timer = setTimeout(
        () => finish(new Error(`${this.name}: no ${pattern} within ${timeoutMs} ms:\n${this.lastLines()}`)),
        timeoutMs,
      );
      const finish = (err?: Error) => {
        clearTimeout(timer);
        this.listeners.delete(check);
        if (err) reject(err);
        else resolve();
      };
      this.listeners.add(check);
      check();
    });
  }

  /** Sends `signal` and waits for the exit; a clean stop that takes too long ends with SIGKILL. */
  async kill(signal: NodeJS.Signals = this.spec.stopSignal ?? 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return this.exited;
    const killer =
      signal === 'SIGKILL' ? undefined : setTimeout(() => child.kill('SIGKILL'), this.spec.stopTimeoutMs ?? 20_000);
    child.kill(signal);
    await this.exited;
    clearTimeout(killer);
  }

  stop(): Promise<void> {
    return this.kill(this.spec.stopSignal ?? 'SIGTERM');
  }

  async close(): Promise<void> {
    await this.stop();
    await new Promise<void>((resolve) => (this.log ? this.log.end(resolve) : resolve()));
    this.log = undefined;
  }
}
