/**
 * `npm run compose:check`: docker-compose.yml cannot be run where there is no Docker engine (this project's CI), so
 * this checks it against the code instead: every setting a container gets is one its program reads, the search
 * attributes are those of src/search-attributes.ts and fit PostgreSQL visibility, ports follow the code's defaults,
 * dependencies exist, images are pinned, health checks are there, and .env.example documents every setting. And
 * the safety rules: no port published beyond 127.0.0.1 but the webhook's TLS port, no secret in an environment
 * value (compose secrets and *_FILE instead), payload encryption required, our containers read-only with no
 * capabilities. test/deploy/compose.test.ts runs the same checks.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parse } from 'yaml';
import { customSearchAttributes, searchAttributeCliPairs } from '../src/search-attributes.js';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * Variables the third-party images read, from their own sources: postgres (docker-library entrypoint), the Temporal
 * server's embedded config template (common/config/config_template_embedded.yaml, read for v1.30; the
 * names are those of the docker config template of earlier releases too, and this deployment runs v1.29.1), the Web UI's
 * docker/config-template.yaml (v2.34), and for admin-tools the `temporal` CLI and temporal-sql-tool
 * (tools/sql/main.go). Only the ones this deployment could plausibly set; extend when compose needs another.
 */
const IMAGE_VARIABLES: Record<string, readonly string[]> = {
  postgres: [
    ...['POSTGRES_USER', 'POSTGRES_PASSWORD', 'POSTGRES_PASSWORD_FILE', 'POSTGRES_DB', 'POSTGRES_INITDB_ARGS'],
    'PGDATA',
  ],
  'temporalio/server': [
    ...['DB', 'DB_PORT', 'DBNAME', 'VISIBILITY_DBNAME', 'POSTGRES_SEEDS', 'POSTGRES_USER', 'POSTGRES_PWD'],
    ...['BIND_ON_IP', 'TEMPORAL_BROADCAST_ADDRESS', 'DYNAMIC_CONFIG_FILE_PATH', 'LOG_LEVEL', 'NUM_HISTORY_SHARDS'],
    ...['FRONTEND_GRPC_PORT', 'FRONTEND_HTTP_PORT', 'PROMETHEUS_ENDPOINT', 'SQL_MAX_CONNS', 'SQL_TLS_ENABLED'],
  ],
  'temporalio/ui': [
    ...['TEMPORAL_ADDRESS', 'TEMPORAL_UI_PORT', 'TEMPORAL_DEFAULT_NAMESPACE', 'TEMPORAL_CORS_ORIGINS'],
    ...['TEMPORAL_CODEC_ENDPOINT', 'TEMPORAL_CSRF_COOKIE_INSECURE', 'TEMPORAL_UI_PUBLIC_PATH'],
  ],
  'temporalio/admin-tools': [
    ...['TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'TEMPORAL_API_KEY', 'TEMPORAL_TLS'],
    ...['SQL_PLUGIN', 'SQL_HOST', 'SQL_PORT', 'SQL_USER', 'SQL_PASSWORD', 'SQL_DATABASE', 'SQL_TLS'],
  ],
};

/** Read by Node.js libraries (fastify, the Temporal SDK) rather than by name in src/. */
const RUNTIME_VARIABLES = ['NODE_ENV', 'NODE_OPTIONS'];

/** Custom search attribute slots per type in Temporal's PostgreSQL visibility schema (v12 schema, v1.30). */
const POSTGRES_VISIBILITY_SLOTS: Record<string, number> = {
  BOOL: 3,
  DATETIME: 3,
  DOUBLE: 3,
  INT: 3,
  KEYWORD: 10,
  KEYWORD_LIST: 3,
  TEXT: 3,
};

/**
 * Published ports and where their numbers come from: the service's own default (the env variable's fallback in
 * src/), or the dev server's defaults for the Temporal ports, so that `localhost:7233` and `localhost:8233` mean
 * the same thing with compose as with `npm run dev:server`.
 */
const PORTS = [
  { service: 'simulator', hostDefault: 'SIM_PORT', containerDefault: 'SIM_PORT' },
  { service: 'temporal', hostDefault: 'TEMPORAL_DEV_PORT', containerDefault: 'TEMPORAL_DEV_PORT' },
  // The UI image listens on TEMPORAL_UI_PORT, 8080 unless set.
  { service: 'temporal-ui', hostDefault: 'TEMPORAL_DEV_UI_PORT', container: 8080 },
] as const;

/**
 * The one port published on every interface: HTTPS for ThingSpace's callbacks, 443 unless WEBHOOK_TLS_PORT says
 * otherwise, onto the proxy's unprivileged 8443 (deploy/caddy/Caddyfile). Everything else without authentication
 * (Temporal's frontend, the Web UI, the simulator) is bound to loopback or not published.
 */
const TLS_PROXY = { service: 'webhook-tls', published: '443', target: 8443 } as const;
const LOOPBACK = new Set(['127.0.0.1', '::1', '[::1]']);

/** Names that hold secrets; they must come as files (`NAME_FILE` pointing into /run/secrets), never as values. */
const SECRET_NAME = /(PASSWORD|PASSWD|PWD|SECRET|TOKEN|KEY_DATA|_KEYS?$)/;

/** Our long-running Temporal clients: each must refuse to start without payload encryption. */
const ENCRYPTING_SERVICES = ['worker', 'webhook'];

/** Services whose SIGTERM handling flushes work, and so need more than Docker's 10 s before SIGKILL. */
const DRAINING_SERVICES = ['worker', 'webhook'];

/** Long-running services without an HTTP endpoint to probe; their health is visible elsewhere (task queue pollers). */
const NO_HEALTHCHECK = new Set(['worker']);

/** The service that runs deploy/temporal/register-namespace.sh. */
const SEARCH_ATTRIBUTE_SERVICE = 'temporal-setup';

export interface ComposeSources {
  composeText: string;
  dockerfile: string;
  envExample: string;
  /** Concatenated TypeScript of src/ (tests excluded). */
  source: string;
  /** Variables @temporalio/envconfig reads (TEMPORAL_ADDRESS …), from its compiled code. */
  envconfigVariables: Set<string>;
  /** Files under the repository root, for mounts and scripts; relative paths. */
  readFile(path: string): Promise<string | undefined>;
}

async function listTypeScript(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts'))
    .map((e) => join(e.parentPath, e.name));
}

export async function loadSources(root = ROOT): Promise<ComposeSources> {
  const read = (path: string) => readFile(resolve(root, path), 'utf8');
  const sourceFiles = await listTypeScript(resolve(root, 'src'));
  const envconfigDir = resolve(root, 'node_modules/@temporalio/envconfig/lib');
  const envconfigCode = await Promise.all(
    (await readdir(envconfigDir)).filter((f) => f.endsWith('.js')).map((f) => readFile(join(envconfigDir, f), 'utf8')),
  );
  return {
    composeText: await read('docker-compose.yml'),
    dockerfile: await read('Dockerfile'),
    envExample: await read('.env.example'),
    source: (await Promise.all(sourceFiles.map((f) => readFile(f, 'utf8')))).join('\n'),
    envconfigVariables: new Set(envconfigCode.join('\n').match(/\bTEMPORAL_[A-Z0-9_]+[A-Z0-9]\b/g) ?? []),
    readFile: async (path) => {
      const full = resolve(root, path);
      if (relative(root, full).startsWith('..')) return undefined;
      return (await stat(full).catch(() => undefined))?.isFile() ? readFile(full, 'utf8') : undefined;
    },
  };
}

interface Service {
  image?: string;
  build?: string | { context?: string; target?: string };
  profiles?: string[];
  depends_on?: string[] | Record<string, unknown>;
  environment?: Record<string, unknown> | string[];
  ports?: (string | number | { target?: number; published?: string | number })[];
  volumes?: (string | { source?: string; target?: string })[];
  entrypoint?: string | string[];
  command?: string | string[];
  healthcheck?: { test?: unknown; disable?: boolean };
  restart?: string;
  read_only?: boolean;
  cap_drop?: string[];
  stop_grace_period?: string;
}

type PortEntry = NonNullable<Service['ports']>[number];

/** host_ip, published and target of a port entry, in either syntax (`[IP:]HOST:CONTAINER` or the long form). */
function portParts(port: PortEntry): { hostIp: string | undefined; published: string; target: string } {
  if (typeof port === 'object') {
    const long = port as { host_ip?: string; published?: string | number; target?: number };
    return { hostIp: long.host_ip, published: String(long.published ?? ''), target: String(long.target ?? '') };
  }
  const text = withDefaults(String(port)).replace(/\/(tcp|udp)$/, '');
  const ipv6 = /^\[([^\]]+)\]:(.*)$/.exec(text);
  const [hostIp, rest] = ipv6 ? [`[${ipv6[1]}]`, ipv6[2] ?? ''] : [undefined, text];
  const parts = rest.split(':');
  if (parts.length === 3) return { hostIp: parts[0], published: parts[1] ?? '', target: parts[2] ?? '' };
  if (parts.length === 2) return { hostIp, published: parts[0] ?? '', target: parts[1] ?? '' };
  // A bare container port publishes on a random host port, on every interface.
  return { hostIp, published: '', target: parts[0] ?? '' };
}

/** Compose durations as Docker reads them: `1m30s`, `45s`, `500ms`. */
function seconds(duration: string | undefined): number {
  if (!duration) return 0;
  let total = 0;
  for (const [, value, unit] of duration.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s|us|ns)/g)) {
    const factor = { h: 3600, m: 60, s: 1, ms: 1e-3, us: 1e-6, ns: 1e-9 }[unit as 'h'];
    total += Number(value) * factor;
  }
  return total;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** How code names a variable: a string literal (`env['NAME']`), a property (`env.NAME`) or a schema key (`NAME: …`). */
const reference = (name: string) => `(?:(['"\`])${escape(name)}\\1|\\.${escape(name)}\\b|\\b${escape(name)}\\s*:)`;

function readInSource(source: string, name: string): boolean {
  return new RegExp(reference(name)).test(source);
}

const NUMBER = '(\\d[\\d_]*)';

/**
 * The number a variable falls back to where the code reads it: `NAME ?? 9100`, `portSetting('NAME', 7233)`, or
 * the last argument of a schema key's setting, `NAME: intSetting(0, 65_535, 9001)`.
 */
export function codeDefault(source: string, name: string): number | undefined {
  const fallback = new RegExp(`${reference(name)}[\\s)]*(?:\\?\\?|\\|\\||,)\\s*${NUMBER}`).exec(source)?.[2];
  const schemaArgs = new RegExp(`\\b${escape(name)}\\s*:\\s*[\\w.]+\\(([^()]*)\\)`).exec(source)?.[1];
  const last = schemaArgs?.split(',').at(-1)?.trim();
  const value = fallback ?? (last && new RegExp(`^${NUMBER}$`).test(last) ? last : undefined);
  return value === undefined ? undefined : Number(value.replaceAll('_', ''));
}

/** `${NAME}`, `${NAME:-default}`, `${NAME:?message}` … with the default, when there is one. */
function interpolations(text: string): { name: string; fallback?: string }[] {
  return [...text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?([-?])([^}]*))?\}/g)].map((m) => ({
    name: m[1] as string,
    ...(m[2] === '-' ? { fallback: m[3] ?? '' } : {}),
  }));
}

/** Replaces `${NAME:-default}` by its default: what compose uses when .env does not set it. */
function withDefaults(value: string): string {
  return value.replace(
    /\$\{[A-Za-z_][A-Za-z0-9_]*(?::?-([^}]*))?[^}]*\}/g,
    (_m, fallback: string | undefined) => fallback ?? '',
  );
}

function environmentOf(service: Service): Map<string, string | undefined> {
  const env = new Map<string, string | undefined>();
  if (Array.isArray(service.environment)) {
    for (const entry of service.environment) {
      const [name = '', ...value] = entry.split('=');
      env.set(name, value.length ? value.join('=') : undefined);
    }
  } else {
    for (const [name, value] of Object.entries(service.environment ?? {})) {
      env.set(name, value === null || value === undefined ? undefined : String(value));
    }
  }
  return env;
}

function list(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : value.split(/\s+/).filter(Boolean);
}

function imageRepository(image: string): { repository: string; tag: string | undefined } {
  const at = image.lastIndexOf(':');
  const slash = image.lastIndexOf('/');
  return at > slash
    ? { repository: image.slice(0, at), tag: image.slice(at + 1) }
    : { repository: image, tag: undefined };
}

/** A release number such as `16.10` or `1.30.1`: neither `latest` nor a bare major that moves under you. */
function pinned(image: string): boolean {
  const { tag } = imageRepository(image);
  return tag !== undefined && /^\d+\.\d+(\.\d+)?([-.][\w.-]+)?$/.test(tag);
}

/** Dockerfile stages by name, with their lines. */
function dockerfileStages(dockerfile: string): Map<string, string[]> {
  const stages = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of dockerfile.replace(/\\\n/g, ' ').split('\n')) {
    const from = /^FROM\s+\S+(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) {
      current = [];
      if (from[1]) stages.set(from[1], current);
    }
    current?.push(line);
  }
  return stages;
}

/** Scripts a service runs from a bind-mounted directory of the repository, resolved to repository paths. */
function mountedScripts(service: Service): string[] {
  const mounts = (service.volumes ?? []).flatMap((v) => {
    const [source, target] = typeof v === 'string' ? v.split(':') : [v.source, v.target];
    return source?.startsWith('./') && target ? [{ source: source.slice(2), target }] : [];
  });
  return [...list(service.entrypoint), ...list(service.command)].flatMap((arg) => {
    const mount = mounts.find((m) => arg.startsWith(`${m.target}/`));
    return mount ? [mount.source + arg.slice(mount.target.length)] : [];
  });
}

export async function checkCompose(sources: ComposeSources): Promise<string[]> {
  const problems: string[] = [];
  const doc = parse(sources.composeText, { merge: true }) as { services?: Record<string, Service> };
  const services = doc.services ?? {};
  const stages = dockerfileStages(sources.dockerfile);
  const envExampleNames = new Set(
    [...sources.envExample.matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1] as string),
  );
  const composeNames = new Set<string>();

  const portDefault = (name: string) => {
    const value = codeDefault(sources.source, name);
    if (value === undefined) problems.push(`cannot find the default of ${name} in src/`);
    return value;
  };

  for (const [name, service] of Object.entries(services)) {
    const where = `services.${name}`;
    const built = service.build !== undefined;
    const target = typeof service.build === 'object' ? service.build.target : undefined;
    const stage = target ? stages.get(target) : undefined;
    if (built && !stage) problems.push(`${where}.build.target: no Dockerfile stage named "${target ?? ''}"`);

    // Images: pinned releases, for third-party images and the Dockerfile's base alike.
    if (!built) {
      if (!service.image) problems.push(`${where}: neither image nor build`);
      else if (!pinned(withDefaults(service.image))) problems.push(`${where}.image ${service.image} is not pinned`);
    }

    // Dependencies exist, and are not in a profile the dependant lacks (compose would refuse to start).
    const dependsOn = Array.isArray(service.depends_on) ? service.depends_on : Object.keys(service.depends_on ?? {});
    for (const dependency of dependsOn) {
      const other = services[dependency];
      if (!other) problems.push(`${where}.depends_on: no service "${dependency}"`);
      else if (other.profiles?.some((p) => !service.profiles?.includes(p))) {
        problems.push(`${where}.depends_on: "${dependency}" is only in profile(s) ${other.profiles.join(', ')}`);
      }
    }

    // Every variable a container gets is one its program reads.
    const environment = environmentOf(service);
    const imageVariables = service.image
      ? IMAGE_VARIABLES[imageRepository(withDefaults(service.image)).repository]
      : [];
    const scripts = await Promise.all(
      mountedScripts(service).map(async (p) => [p, await sources.readFile(p)] as const),
    );
    for (const [path, text] of scripts)
      if (text === undefined) problems.push(`${where} runs ${path}, which is missing`);
    for (const variable of environment.keys()) {
      const known = built
        ? readInSource(sources.source, variable) ||
          sources.envconfigVariables.has(variable) ||
          RUNTIME_VARIABLES.includes(variable)
        : imageVariables?.includes(variable) ||
          scripts.some(([, text]) => text !== undefined && new RegExp(`\\$\\{?${escape(variable)}\\b`).test(text));
      if (!known) problems.push(`${where}.environment.${variable} is read by nothing this service runs`);
    }
    for (const [variable, value] of environment) {
      if (value === undefined) composeNames.add(variable);
      else for (const { name: used } of interpolations(value)) composeNames.add(used);
    }

    // Secrets as files only: an environment value shows in `docker inspect`, in /proc/<pid>/environ and in every
    // child process, and .env files get committed.
    for (const variable of environment.keys()) {
      if (SECRET_NAME.test(variable) && !variable.endsWith('_FILE')) {
        problems.push(
          `${where}.environment.${variable} passes a secret as an environment value; ` +
            `use a compose secret and ${variable}_FILE`,
        );
      }
    }

    // Ports: loopback only, but for the TLS proxy's HTTPS port.
    for (const port of service.ports ?? []) {
      const { hostIp, published, target } = portParts(port);
      const tls = name === TLS_PROXY.service && target === String(TLS_PROXY.target);
      if (!tls && !(hostIp && LOOPBACK.has(hostIp))) {
        problems.push(
          `${where}.ports ${published || '(random)'}:${target} is published on every interface; ` +
            `bind it to 127.0.0.1 (only the webhook's TLS port may be public)`,
        );
      }
    }

    // Our images: read-only root filesystem, no capabilities.
    if (built) {
      if (service.read_only !== true) problems.push(`${where} must set read_only: true (tmpfs where it writes)`);
      if (!service.cap_drop?.includes('ALL')) problems.push(`${where} must drop every capability (cap_drop: [ALL])`);
    }
    if (ENCRYPTING_SERVICES.includes(name) && environment.get('PAYLOAD_ENCRYPTION_REQUIRED') !== 'true') {
      problems.push(`${where}.environment.PAYLOAD_ENCRYPTION_REQUIRED must be 'true': payloads are encrypted`);
    }
    if (DRAINING_SERVICES.includes(name) && seconds(service.stop_grace_period) < 30) {
      problems.push(`${where}.stop_grace_period must be at least 30s, to flush what it holds on SIGTERM`);
    }

    // Health checks on long-running services: in compose, or in the Dockerfile stage the service is built from.
    const oneShot = service.restart?.startsWith('on-failure') ?? false;
    const hasHealthcheck =
      (service.healthcheck?.test !== undefined && !service.healthcheck.disable) ||
      (stage?.some((line) => /^HEALTHCHECK\s+(?!NONE)/i.test(line)) ?? false);
    if (!oneShot && !hasHealthcheck && !NO_HEALTHCHECK.has(name)) problems.push(`${where} has no health check`);
  }

  for (const { name } of interpolations(sources.composeText)) composeNames.add(name);

  // Search attributes: the same set as the code, and room for them in PostgreSQL visibility.
  const registrar = services[SEARCH_ATTRIBUTE_SERVICE];
  if (!registrar) problems.push(`no ${SEARCH_ATTRIBUTE_SERVICE} service registers the search attributes`);
  else {
    const registered = new Set(list(registrar.command));
    const expected = new Set(searchAttributeCliPairs());
    for (const pair of expected) if (!registered.has(pair)) problems.push(`search attribute ${pair} is not registered`);
    for (const pair of registered) if (!expected.has(pair)) problems.push(`${pair} is registered but not in src/`);
  }
  const perType = new Map<string, number>();
  for (const key of customSearchAttributes) perType.set(key.type, (perType.get(key.type) ?? 0) + 1);
  for (const [type, count] of perType) {
    const slots = POSTGRES_VISIBILITY_SLOTS[type] ?? 0;
    if (count > slots) problems.push(`${count} ${type} search attributes, but PostgreSQL visibility has ${slots}`);
  }

  // Ports: what the code listens on by default, published where the developer tools expect it.
  for (const spec of PORTS) {
    const service = services[spec.service];
    if (!service) {
      problems.push(`no service ${spec.service}`);
      continue;
    }
    const hostPort = portDefault(spec.hostDefault);
    const containerPort = 'container' in spec ? spec.container : portDefault(spec.containerDefault);
    const wanted = `${hostPort}:${containerPort}`;
    const published = (service.ports ?? []).map((p) =>
      typeof p === 'object' ? `${p.published}:${p.target}` : withDefaults(String(p)).replace(/^[\d.]+:(?=\d+:)/, ''),
    );
    if (!published.includes(wanted)) {
      problems.push(`services.${spec.service}.ports should publish ${wanted}, has ${published.join(', ') || 'none'}`);
    }
    if ('containerDefault' in spec) {
      const set = environmentOf(service).get(spec.containerDefault);
      if (set !== undefined && Number(withDefaults(set)) !== containerPort) {
        problems.push(`services.${spec.service}.environment.${spec.containerDefault} differs from its port mapping`);
      }
    }
  }

  const proxy = services[TLS_PROXY.service];
  const proxyPorts = (proxy?.ports ?? []).map(portParts);
  if (!proxy) problems.push(`no service ${TLS_PROXY.service} terminates TLS for the webhook`);
  else if (!proxyPorts.some((p) => p.published === TLS_PROXY.published && p.target === String(TLS_PROXY.target))) {
    problems.push(`services.${TLS_PROXY.service}.ports should publish ${TLS_PROXY.published}:${TLS_PROXY.target}`);
  }
  if (services.webhook?.ports?.length) problems.push('services.webhook.ports: the webhook is reached through TLS only');

  // The Dockerfile: pinned base image, its role settings read by the code, health-check ports as the code's.
  for (const [, image] of sources.dockerfile.matchAll(/^ARG\s+\w*IMAGE\w*=(\S+)/gm)) {
    if (!pinned(image as string)) problems.push(`Dockerfile base image ${image} is not pinned`);
  }
  for (const [, variable] of sources.dockerfile.matchAll(/^ENV\s+([A-Z][A-Z0-9_]*)=/gm)) {
    const v = variable as string;
    if (!readInSource(sources.source, v) && !RUNTIME_VARIABLES.includes(v)) {
      problems.push(`Dockerfile sets ${v}, which nothing in src/ reads`);
    }
  }
  for (const { name, fallback } of interpolations(sources.dockerfile)) {
    if (fallback !== undefined && /_PORT$/.test(name) && Number(fallback) !== portDefault(name)) {
      problems.push(`Dockerfile falls back to ${name}=${fallback}, the code to ${codeDefault(sources.source, name)}`);
    }
  }

  // .env.example documents exactly the settings compose takes from .env.
  for (const name of composeNames) if (!envExampleNames.has(name)) problems.push(`.env.example lacks ${name}`);
  for (const name of envExampleNames) if (!composeNames.has(name)) problems.push(`.env.example has ${name}, unused`);
  // Commented-out numbers document defaults; they must be the code's.
  for (const [, name, value] of sources.envExample.matchAll(/^#\s*([A-Z][A-Z0-9_]*)=(\d+)\s*$/gm)) {
    const actual = codeDefault(sources.source, name as string);
    if (actual !== undefined && actual !== Number(value)) {
      problems.push(`.env.example shows ${name}=${value} as the default, the code's is ${actual}`);
    }
  }

  return problems;
}

async function main() {
  const problems = await checkCompose(await loadSources());
  if (problems.length === 0) {
    console.log('docker-compose.yml, Dockerfile and .env.example agree with the code.');
    return;
  }
  for (const problem of problems) console.error(`✗ ${problem}`);
  process.exitCode = 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
