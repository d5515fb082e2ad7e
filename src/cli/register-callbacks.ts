/**
 * `register-callbacks`: tells ThingSpace where to send CarrierService and NiddService callbacks and which
 * username/password to echo in them (the pair the webhook checks), or lists / removes those registrations.
 */
import { Command, Option } from 'commander';
import { ThingSpaceClient } from '../thingspace/client.js';
import { configFromEnv } from '../thingspace/config.js';
import type { CallbackCredentials } from '../webhook/config.js';
import { callbackCredentialsFromEnv } from '../webhook/config.js';
import { SERVICE_PATHS, type WebhookService } from '../webhook/paths.js';
import { CliError, type CliIo } from './io.js';

const SERVICES = Object.keys(SERVICE_PATHS) as WebhookService[];

/** Ports ThingSpace's callback senders can reach (thingspace-api.md, "Callback listeners"). */
const REACHABLE_PORTS: readonly (readonly [number, number])[] = [
  [80, 80],
  [443, 443],
  [9001, 9006],
  [50551, 50559],
  [28200, 28220],
];

/**
 * `<base>/callbacks/<service>`; a base that already ends in `/callbacks` gets only the service segment, and
 * `exact` registers the URL as given for every service (the webhook's `/callbacks` route tells them apart).
 */
export function callbackUrl(base: string, service: WebhookService, exact = false): string {
  if (exact) return base;
  const url = new URL(base);
  const prefix = url.pathname.replace(/\/+$/, '').replace(/\/callbacks$/, '');
  url.pathname = `${prefix}${SERVICE_PATHS[service]}`;
  return url.toString();
}

/** Problems that do not stop a registration but would stop callbacks from ever arriving or keep them private. */
export function urlWarnings(url: string): string[] {
  const parsed = new URL(url);
  const warnings: string[] = [];
  const port = Number(parsed.port || (parsed.protocol === 'https:' ? 443 : 80));
  if (!REACHABLE_PORTS.some(([from, to]) => port >= from && port <= to)) {
    warnings.push(`port ${port} is not one ThingSpace can reach (80, 443, 9001-9006, 50551-50559, 28200-28220)`);
  }
  if (parsed.protocol !== 'https:') warnings.push('the URL is not https: the echoed username/password travel in clear');
  return warnings;
}

export interface Registered {
  service: WebhookService;
  url: string;
}

export async function registerCallbacks(
  client: ThingSpaceClient,
  options: {
    url: string;
    credentials: CallbackCredentials;
    services?: WebhookService[];
    exact?: boolean;
    accountName?: string;
  },
): Promise<Registered[]> {
  const done: Registered[] = [];
  for (const service of options.services ?? SERVICES) {
    const url = callbackUrl(options.url, service, options.exact);
    await client.registerCallback(
      { name: service, url, ...options.credentials },
      options.accountName === undefined ? {} : { accountName: options.accountName },
    );
    done.push({ service, url });
  }
  return done;
}

interface CommandOptions {
  url?: string;
  exact?: boolean;
  list?: boolean;
  remove?: boolean;
  service: WebhookService[];
  account?: string;
}

async function run(options: CommandOptions, io: CliIo): Promise<void> {
  const modes = [options.url !== undefined, options.list === true, options.remove === true].filter(Boolean).length;
  if (modes !== 1) throw new CliError('give exactly one of --url <url>, --list or --remove');
  const env = io.env;
  let config;
  try {
    config = configFromEnv(env);
  } catch (err) {
    throw new CliError(
      `${(err as Error).message} (set THINGSPACE_BASE_URL, THINGSPACE_APP_KEY, THINGSPACE_APP_SECRET, ` +
        'THINGSPACE_USERNAME, THINGSPACE_PASSWORD)',
    );
  }
  const accountName = options.account ?? config.accountName;
  if (!accountName) throw new CliError('no account: pass --account or set THINGSPACE_ACCOUNT_NAME');
  const client = new ThingSpaceClient(config);
  try {
    if (options.list) {
      const registered = await client.listCallbacks({ accountName });
      if (registered.length === 0) io.out(`no callback listeners registered for account ${accountName}`);
      // Only name and URL: a listing must never show the echoed credentials, should an API version return them.
      for (const r of registered) io.out(`${r.name}\t${r.url ?? '(no url)'}`);
    } else if (options.remove) {
      for (const service of options.service) {
        await client.deleteCallback(service, { accountName });
        io.out(`removed ${service} listener (account ${accountName})`);
      }
    } else {
      const url = options.url as string;
      let credentials: CallbackCredentials;
      try {
        credentials = callbackCredentialsFromEnv(env);
      } catch (err) {
        throw new CliError((err as Error).message);
      }
      for (const service of options.service) {
        for (const warning of urlWarnings(callbackUrl(url, service, options.exact))) io.err(`warning: ${warning}`);
      }
      const done = await registerCallbacks(client, {
        url,
        credentials,
        services: options.service,
        exact: options.exact === true,
        accountName,
      });
      for (const r of done) io.out(`registered ${r.service} -> ${r.url} (account ${accountName})`);
    }
  } finally {
    await client.logout().catch(() => undefined);
  }
}

function parseUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error();
  } catch {
    throw new CliError(`--url must be an http(s) URL, e.g. https://hooks.example.com:9001`);
  }
  return value;
}

export function registerCallbacksCommand(io: CliIo): Command {
  return new Command('register-callbacks')
    .description(
      'register the webhook with ThingSpace for CarrierService and NiddService callbacks, or list/remove them; ' +
        'credentials from CALLBACK_USERNAME and CALLBACK_PASSWORD (or CALLBACK_PASSWORD_FILE), ThingSpace access ' +
        'from THINGSPACE_*',
    )
    .option('--url <url>', "the webhook's public base URL, e.g. https://hooks.example.com:9001", parseUrl)
    .option('--exact', 'register --url exactly as given for every service (instead of <url>/callbacks/<service>)')
    .option('--list', 'list the registered callback listeners')
    .option('--remove', 'remove the callback listeners')
    .addOption(new Option('--service <name...>', 'services to register or remove').choices(SERVICES).default(SERVICES))
    .option('--account <name>', 'billing account (default THINGSPACE_ACCOUNT_NAME)')
    .action((options: CommandOptions) => run(options, io));
}
