import { describe, expect, it } from '@jest/globals';
import { callbackCredentialsFromEnv, webhookSettingsFromEnv } from '../../src/webhook/config.js';

const creds = { CALLBACK_USERNAME: 'user', CALLBACK_PASSWORD: 'pw-secret' };

describe('webhook settings', () => {
  it('has defaults fit for ThingSpace (port 9001) and treats empty variables as unset', () => {
    expect(webhookSettingsFromEnv({ ...creds, WEBHOOK_PORT: '' })).toEqual({
      host: '0.0.0.0',
      port: 9001,
      internalPort: undefined,
      trustedProxyHops: 0,
      credentials: { username: 'user', password: 'pw-secret' },
      batchWindowMs: 100,
      batchMax: 500,
      batchMaxBytes: 1_048_576,
      batchQuietMs: 2,
      batchQuietMin: 200,
      notFoundRetryMs: 5_000,
      signalTimeoutMs: 5_000,
      bodyLimitBytes: 262_144,
      rateLimitPerMinute: 2_000_000,
      authFailuresPerMinute: 10,
      logLevel: 'info',
      taskQueue: 'thingspace-activation',
    });
  });

  it('names every bad or missing variable in one message, and never a secret value', () => {
    const run = () =>
      webhookSettingsFromEnv({
        WEBHOOK_PORT: '70000',
        WEBHOOK_BATCH_MAX: 'many',
        WEBHOOK_LOG_LEVEL: 'loud',
        CALLBACK_USERNAME: '',
        CALLBACK_PASSWORD: 'pw-secret',
        CALLBACK_PASSWORD_FILE: '/run/secrets/pw',
      });
    expect(run).toThrow(/WEBHOOK_PORT: must be an integer from 0 to 65535/);
    expect(run).toThrow(/WEBHOOK_BATCH_MAX: must be a number/);
    expect(run).toThrow(/WEBHOOK_LOG_LEVEL: must be one of/);
    expect(run).toThrow(/CALLBACK_USERNAME: is required/);
    expect(run).toThrow(/CALLBACK_PASSWORD, CALLBACK_PASSWORD_FILE: set only one of them/);
    expect(run).not.toThrow(/pw-secret/);
    expect(() => webhookSettingsFromEnv({ CALLBACK_USERNAME: 'u' })).toThrow(
      /CALLBACK_PASSWORD or CALLBACK_PASSWORD_FILE: is required/,
    );
  });

  it('reads the password from CALLBACK_PASSWORD_FILE without its trailing newline', () => {
    const files: Record<string, string> = { '/run/secrets/pw': 'from-file\n', '/empty': '' };
    const read = (path: string) => {
      const content = files[path];
      if (content === undefined) throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
      return content;
    };
    const env = { CALLBACK_USERNAME: 'u', CALLBACK_PASSWORD_FILE: '/run/secrets/pw' };
    expect(callbackCredentialsFromEnv(env, read)).toEqual({ username: 'u', password: 'from-file' });
    expect(() => callbackCredentialsFromEnv({ ...env, CALLBACK_PASSWORD_FILE: '/missing' }, read)).toThrow(
      'CALLBACK_PASSWORD_FILE: cannot read /missing (ENOENT)',
    );
    expect(() => callbackCredentialsFromEnv({ ...env, CALLBACK_PASSWORD_FILE: '/empty' }, read)).toThrow(
      'CALLBACK_PASSWORD_FILE: /empty is empty',
    );
  });
});
