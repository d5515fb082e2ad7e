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
    ['a webhook port other than the code default', "'9001:9001'", "'9002:9001'", 'should publish 9001:9001'],
    ['the Web UI away from 8233', "'8233:8080'", "'8080:8080'", 'should publish 8233:8080'],
    [
      'a dependency that does not exist',
      '      temporal-schema:\n        condition',
      '      temporal-schemas:\n        condition',
      'no service "temporal-schemas"',
    ],
    [
      'a dependency on a profile-only service',
      '      temporal-setup:\n        condition: service_completed_successfully\n    environment:\n      <<: [*temporal-client, *payload-encryption]\n      TASK_QUEUE',
      '      simulator:\n        condition: service_started\n    environment:\n      <<: [*temporal-client, *payload-encryption]\n      TASK_QUEUE',
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
    let dockerfile = edit(sources.dockerfile, 'node:20.20.2-bookworm-slim', 'node:20-bookworm-slim');
    dockerfile = edit(dockerfile, '${WEBHOOK_PORT:-9001}', '${WEBHOOK_PORT:-9002}');
    const problems = await checkCompose({ ...sources, dockerfile });
    expect(problems).toEqual([
      'Dockerfile base image node:20-bookworm-slim is not pinned',
      'Dockerfile falls back to WEBHOOK_PORT=9002, the code to 9001',
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
