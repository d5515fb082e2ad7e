import { beforeAll, describe, expect, it } from '@jest/globals';
import { checkCompose, codeDefault, loadSources, type ComposeSources } from '../../scripts/check-compose.js';

let sources: ComposeSources;
beforeAll(async () => {
  sources = await loadSources();
});

/** Replaces text that must be there, so a case cannot pass vacuously after the file changes. */
function edit(text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`test fixture is stale: "${from}" is not in the file`);
  return text.replace(from, to);
}

describe('docker-compose.yml against the code', () => {
  it('passes every check (run `npm run compose:check` for the details)', async () => {
    expect(await checkCompose(sources)).toEqual([]);
  });

  const composeCases: [string, string, string, string][] = [
    [
      'a search attribute left out',
      '      - DevicesFailed=Int\n',
      '',
      'search attribute DevicesFailed=Int is not registered',
    ],
    ['a registered type that differs', 'DeviceCount=Int', 'DeviceCount=Keyword', 'DeviceCount=Int is not registered'],
    [
      'a setting no program reads',
      '      WEBHOOK_BATCH_MAX:\n',
      '      WEBHOOK_BATCH_MAXIMUM:\n',
      'services.webhook.environment.WEBHOOK_BATCH_MAXIMUM is read by nothing this service runs',
    ],
    [
      'a server setting the image does not know',
      '      BIND_ON_IP: 0.0.0.0\n',
      '      BIND_IP: 0.0.0.0\n',
      'services.temporal.environment.BIND_IP is read by nothing this service runs',
    ],
    ['an image on latest', 'temporalio/ui:2.34.0', 'temporalio/ui:latest', 'services.temporal-ui.image'],
    [
      'an image on a bare major',
      'postgres:16.10',
      'postgres:16',
      'services.postgresql.image postgres:16 is not pinned',
    ],
    ['the Web UI away from 8233', "'127.0.0.1:8233:8080'", "'127.0.0.1:8080:8080'", 'should publish 8233:8080'],
    [
      'the Temporal frontend on every interface',
      "'127.0.0.1:7233:7233'",
      "'7233:7233'",
      "services.temporal.ports 7233:7233 is published on every interface; bind it to 127.0.0.1 (only the webhook's TLS port may be public)",
    ],
    [
      'the Web UI on 0.0.0.0',
      "'127.0.0.1:8233:8080'",
      "'0.0.0.0:8233:8080'",
      'services.temporal-ui.ports 8233:8080 is published on every interface',
    ],
    [
      'a long-form port without host_ip',
      "    ports:\n      - '127.0.0.1:9100:9100'\n",
      '    ports:\n      - target: 9100\n        published: 9100\n',
      'services.simulator.ports 9100:9100 is published on every interface',
    ],
    [
      'a bare container port (random host port, every interface)',
      "'127.0.0.1:9100:9100'",
      "'9100'",
      'services.simulator.ports (random):9100 is published on every interface',
    ],
    [
      'the webhook published next to its TLS proxy',
      '    secrets: [payload_encryption_keys, postgres_password, callback_password]\n',
      "    secrets: [payload_encryption_keys, postgres_password, callback_password]\n    ports:\n      - '9001:9001'\n",
      'services.webhook.ports 9001:9001 is published on every interface',
    ],
    [
      'the TLS port moved off 443',
      "'${WEBHOOK_TLS_PORT:-443}:8443'",
      "'127.0.0.1:8443:8443'",
      'services.webhook-tls.ports should publish 443:8443',
    ],
    [
      'a password as an environment value',
      '      CALLBACK_PASSWORD_FILE: /run/secrets/callback_password\n',
      '      CALLBACK_PASSWORD: ${CALLBACK_PASSWORD}\n',
      'services.webhook.environment.CALLBACK_PASSWORD passes a secret as an environment value; use a compose secret and CALLBACK_PASSWORD_FILE',
    ],
    [
      'a secret passed through from .env',
      '      THINGSPACE_ACCOUNT_NAME:\n',
      '      THINGSPACE_ACCOUNT_NAME:\n      TEMPORAL_API_KEY:\n',
      'services.worker.environment.TEMPORAL_API_KEY passes a secret as an environment value',
    ],
    [
      'the database password in the server environment',
      '      POSTGRES_PWD_FILE: /run/secrets/postgres_password\n',
      '      POSTGRES_PWD: ${POSTGRES_PASSWORD}\n',
      'services.temporal.environment.POSTGRES_PWD passes a secret as an environment value',
    ],
    [
      'payload encryption left optional',
      "  PAYLOAD_ENCRYPTION_REQUIRED: 'true'\n",
      "  PAYLOAD_ENCRYPTION_REQUIRED: 'false'\n",
      "services.worker.environment.PAYLOAD_ENCRYPTION_REQUIRED must be 'true'",
    ],
    [
      'a writable root filesystem',
      '    secrets: [payload_encryption_keys, postgres_password, callback_password]\n    read_only: true\n',
      '    secrets: [payload_encryption_keys, postgres_password, callback_password]\n',
      'services.webhook must set read_only: true',
    ],
    [
      'capabilities kept',
      '    secrets: [payload_encryption_keys, postgres_password, callback_password]\n    read_only: true\n    tmpfs: [/tmp]\n    cap_drop: [ALL]\n',
      '    secrets: [payload_encryption_keys, postgres_password, callback_password]\n    read_only: true\n    tmpfs: [/tmp]\n',
      'services.webhook must drop every capability',
    ],
    [
      'no time to flush on stop',
      '    stop_grace_period: 30s\n    restart: unless-stopped\n\n  # TLS',
      '    stop_grace_period: 10s\n    restart: unless-stopped\n\n  # TLS',
      'services.webhook.stop_grace_period must be at least 30s',
    ],
    [
      'a dependency that does not exist',
      '      temporal-schema:\n        condition',
      '      temporal-schemas:\n        condition',
      'no service "temporal-schemas"',
    ],
    [
      'a dependency on a profile-only service',
      '      temporal-setup:\n        condition: service_completed_successfully\n    environment:\n      <<: [*temporal-client, *payload-encryption, *blob-store]\n      TASK_QUEUE',
      '      simulator:\n        condition: service_started\n    environment:\n      <<: [*temporal-client, *payload-encryption, *blob-store]\n      TASK_QUEUE',
      '"simulator" is only in profile(s) simulator',
    ],
    [
      'a setting .env.example does not document',
      '      SIM_LOG_LEVEL:\n',
      '      SIM_LOG_LEVEL:\n      SIM_SEED_FILE:\n',
      '.env.example lacks SIM_SEED_FILE',
    ],
    [
      'a health check without a test',
      "      test: ['CMD-SHELL', 'pg_isready -U temporal -d postgres']\n",
      '',
      'services.postgresql has no health check',
    ],
  ];

  it.each(composeCases)('finds %s', async (_name, from, to, problem) => {
    const problems = await checkCompose({ ...sources, composeText: edit(sources.composeText, from, to) });
    expect(problems.join('\n')).toContain(problem);
    expect(problems.length).toBeGreaterThan(0);
  });

  it('finds an unpinned base image and a health-check port that is not the code default', async () => {
    let dockerfile = edit(sources.dockerfile, 'node:22.21.1-bookworm-slim', 'node:22-bookworm-slim');
    dockerfile = edit(dockerfile, '${SIM_PORT:-9100}', '${SIM_PORT:-9101}');
    const problems = await checkCompose({ ...sources, dockerfile });
    expect(problems).toEqual([
      'Dockerfile base image node:22-bookworm-slim is not pinned',
      'Dockerfile falls back to SIM_PORT=9101, the code to 9100',
    ]);
  });

  it('finds a documented default that is not the code default', async () => {
    const envExample = edit(sources.envExample, '# WEBHOOK_BATCH_MAX=500', '# WEBHOOK_BATCH_MAX=50');
    expect(await checkCompose({ ...sources, envExample })).toEqual([
      ".env.example shows WEBHOOK_BATCH_MAX=50 as the default, the code's is 500",
    ]);
  });

  it('reads defaults in the forms the code uses', () => {
    const source = [
      "const port = Number(option('port', 'SIM_PORT') ?? 9100);",
      "port: portSetting('TEMPORAL_DEV_PORT', 7233),",
      'WEBHOOK_PORT: intSetting(0, 65_535, 9001),',
      'const n = Number(process.env.CODEC_SERVER_PORT ?? 8888);',
      "const q = process.env.TASK_QUEUE || 'x';",
    ].join('\n');
    expect(codeDefault(source, 'SIM_PORT')).toBe(9100);
    expect(codeDefault(source, 'TEMPORAL_DEV_PORT')).toBe(7233);
    expect(codeDefault(source, 'WEBHOOK_PORT')).toBe(9001);
    expect(codeDefault(source, 'CODEC_SERVER_PORT')).toBe(8888);
    expect(codeDefault(source, 'TASK_QUEUE')).toBeUndefined();
  });
});
