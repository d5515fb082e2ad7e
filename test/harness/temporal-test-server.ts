/**
 * Finds (or fetches) Temporal's Java test server, the one `TestWorkflowEnvironment.createTimeSkipping` runs, so
 * tests can let a workflow's 12-hour timers fire in seconds.
 *
 * The SDK would download a native build from temporal.download; machines without that but with Maven Central use
 * `io.temporal:temporal-test-server` from there instead (39 jars, 33 MB), cached by version like the Temporal CLI
 * (src/devserver/temporal-cli.ts). A wrapper script next to the jars makes it an `existing-path` executable: the
 * SDK runs `<exe> <port> <extraArgs…>` and kills that process at teardown, so the wrapper `exec`s java.
 *
 * Order: TEMPORAL_TEST_SERVER_PATH → the cached copy → `mvn dependency:copy-dependencies` into that cache.
 * Run it directly (`npx tsx test/harness/temporal-test-server.ts`) to fetch ahead of a test run, as .ci/run does.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, chmod, mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { connect, createServer, type AddressInfo } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { stripVTControlCharacters } from 'node:util';

export const TEMPORAL_TEST_SERVER_VERSION = '1.31.0';
const WRAPPER = 'temporal-test-server';

export interface ObtainTestServerOptions {
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
}

export function testServerCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base =
    env.TEMPORAL_TEST_SERVER_CACHE_DIR ??
    join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'thingspace-activation', 'temporal-test-server');
  return join(base, TEMPORAL_TEST_SERVER_VERSION);
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

const pom = `<?xml version="1.0" encoding="UTF-8"?>
<!-- Written by test/harness/temporal-test-server.ts: only here to let Maven resolve the test server's jars. -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.thingspace-activation</groupId>
  <artifactId>temporal-test-server-fetch</artifactId>
  <version>1</version>
  <dependencies>
    <dependency>
      <groupId>io.temporal</groupId>
      <artifactId>temporal-test-server</artifactId>
      <version>${TEMPORAL_TEST_SERVER_VERSION}</version>
    </dependency>
  </dependencies>
</project>
`;

// The SDK gives the server 5 s to accept connections; plain `java` took 1.3–4.0 s on a loaded 2-core machine.
// C1-only JIT, the serial collector and a class-data archive of the server's start-up classes (made once, at fetch)
// bring that to 0.7–1.8 s. A missing or stale archive (another JDK) only costs speed: -Xshare:auto falls back.
const JVM_FLAGS = '-XX:TieredStopAtLevel=1 -XX:+UseSerialGC';
const ARCHIVE = 'classes.jsa';
const MAIN_CLASS = 'io.temporal.testserver.TestServer';
const wrapper = `#!/bin/sh
# Temporal's Java test server ${TEMPORAL_TEST_SERVER_VERSION} as an executable: <port> [--enable-time-skipping].
# Written by test/harness/temporal-test-server.ts. exec, so the SDK's kill at teardown stops the JVM itself.
dir=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
java=java
if [ -n "$JAVA_HOME" ]; then java="$JAVA_HOME/bin/java"; fi
cds=
if [ -f "$dir/${ARCHIVE}" ]; then cds="-Xshare:auto -XX:SharedArchiveFile=$dir/${ARCHIVE}"; fi
exec "$java" ${JVM_FLAGS} $cds -cp "$dir/lib/*" ${MAIN_CLASS} "$@"
`;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const settle = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => settle(true)).once('error', () => settle(false));
  });
}

/**
 * Starts the server once with -XX:ArchiveClassesAtExit, waits until it listens, stops it: the JVM writes the archive.
 * The archive only serves the exact class path it was made with, so this runs in the final directory; the archive
 * is renamed into place so that a concurrent start never maps a half-written one.
 */
async function writeClassArchive(dir: string, log: (line: string) => void): Promise<void> {
  const port = await freePort();
  const java = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
  const partial = join(dir, `.${ARCHIVE}-${process.pid}`);
  const args = [...JVM_FLAGS.split(' '), `-XX:ArchiveClassesAtExit=${partial}`];
  const child = spawn(java, [...args, '-cp', `${join(dir, 'lib')}/*`, MAIN_CLASS, String(port)], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    // Polling a port that a child process opens: there is no event to wait on. Bounded by 60 s.
    for (let i = 0; i < 600 && child.exitCode === null && !(await accepts(port)); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
  await rename(partial, join(dir, ARCHIVE));
  log(`Class-data archive for a faster start: ${join(dir, ARCHIVE)}`);
}

function run(command: string, args: string[], cwd: string, log: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const output: string[] = [];
    const collect = (chunk: Buffer) => {
      // mvn -q still prints colour resets alone on a line.
      const text = stripVTControlCharacters(chunk.toString());
      for (const line of text.split('\n').filter((l) => l.trim())) {
        output.push(line);
        log(`  ${line}`);
      }
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', (err) => reject(new Error(`cannot run ${command}: ${err.message}`)));
    child.on('close', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`${command} ${args.join(' ')} exited with ${code}: ${output.slice(-5).join(' | ')}`)),
    );
  });
}

/** Returns the path of an executable that starts the test server with the SDK's arguments. */
export async function obtainTestServer(options: ObtainTestServerOptions = {}): Promise<string> {
  const env = options.env ?? process.env;
  const log = options.log ?? (() => {});

  const explicit = env.TEMPORAL_TEST_SERVER_PATH;
  if (explicit) {
    if (!(await isExecutable(explicit))) {
      throw new Error(`TEMPORAL_TEST_SERVER_PATH=${explicit} is not an executable file.`);
    }
    return explicit;
  }

  const dir = testServerCacheDir(env);
  const cached = join(dir, WRAPPER);
  // The wrapper is written last, so its presence means the jars are complete.
  if (await isExecutable(cached)) return cached;

  await mkdir(join(dir, '..'), { recursive: true });
  // A private directory per attempt, renamed into place, so concurrent fetchers never see a half-written copy.
  const build = await mkdtemp(join(dir, '..', `.fetch-${TEMPORAL_TEST_SERVER_VERSION}-`));
  try {
    log(`Fetching io.temporal:temporal-test-server:${TEMPORAL_TEST_SERVER_VERSION} from Maven Central (once)…`);
    await writeFile(join(build, 'pom.xml'), pom);
    await run('mvn', ['-q', '-B', 'dependency:copy-dependencies', '-DoutputDirectory=lib'], build, log);
    const jars = (await readdir(join(build, 'lib'))).filter((name) => name.endsWith('.jar'));
    if (!jars.some((name) => name.startsWith('temporal-test-server-'))) {
      throw new Error(`mvn finished but ${join(build, 'lib')} holds no temporal-test-server jar`);
    }
    await writeFile(join(build, WRAPPER), wrapper);
    await chmod(join(build, WRAPPER), 0o755);
    try {
      await rename(build, dir);
    } catch (err) {
      // Another fetcher won the race: its copy is as good as ours.
      if (!(await isExecutable(cached))) throw err;
    }
    await writeClassArchive(dir, log).catch((err: unknown) =>
      log(`No class-data archive (the server starts slower): ${err instanceof Error ? err.message : String(err)}`),
    );
    log(`Temporal test server: ${cached} (${jars.length} jars)`);
    return cached;
  } catch (err) {
    throw new Error(
      `Could not obtain Temporal's test server: ${err instanceof Error ? err.message : String(err)}\n` +
        'It needs Maven (`mvn`) with access to Maven Central and a Java 11+ runtime, or set ' +
        'TEMPORAL_TEST_SERVER_PATH to an executable taking `<port> [--enable-time-skipping]`.',
      { cause: err },
    );
  } finally {
    await rm(build, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  obtainTestServer({ log: (line) => console.log(line) }).then(
    (path) => console.log(`Temporal test server: ${path}`),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}
