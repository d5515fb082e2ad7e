import { describe, expect, it } from '@jest/globals';
import { configFromEnv, ThingSpaceConfigError } from '../../src/thingspace/config.js';

describe('configFromEnv', () => {
  it('names every missing or bad variable, never a value', () => {
    const attempt = () =>
      configFromEnv({
        THINGSPACE_APP_KEY: 'k',
        THINGSPACE_PASSWORD: 'hunter2',
        THINGSPACE_BASE_URL: 'ftp://x',
        THINGSPACE_REQUEST_TIMEOUT_MS: '-5',
      });
    expect(attempt).toThrow(ThingSpaceConfigError);
    const message = (() => {
      try {
        attempt();
      } catch (err) {
        return (err as Error).message;
      }
      return '';
    })();
    expect(message).toContain('THINGSPACE_APP_SECRET: must be set');
    expect(message).toContain('THINGSPACE_USERNAME: must be set');
    expect(message).toContain('THINGSPACE_BASE_URL: baseUrl must be an http(s) URL');
    expect(message).toContain('THINGSPACE_REQUEST_TIMEOUT_MS');
    expect(message).not.toContain('hunter2');
  });

  it('reads a JSON settings file, with variables taking precedence', () => {
    const file = JSON.stringify({
      appKey: 'file-key',
      appSecret: 's',
      username: 'u',
      password: 'p',
      timeouts: { connectMs: 1_234 },
    });
    const config = configFromEnv(
      { THINGSPACE_CONFIG_FILE: '/secrets/thingspace.json', THINGSPACE_USERNAME: 'env-user' },
      (path) => {
        expect(path).toBe('/secrets/thingspace.json');
        return file;
      },
    );
    expect(config).toMatchObject({
      appKey: 'file-key',
      username: 'env-user',
      baseUrl: 'https://thingspace.verizon.com/api',
    });
    expect(config.timeouts.connectMs).toBe(1_234);
  });

  it('says which file could not be read', () => {
    expect(() => configFromEnv({ THINGSPACE_CONFIG_FILE: '/nope.json' }, () => '{oops')).toThrow(
      /THINGSPACE_CONFIG_FILE \(\/nope\.json\) could not be read as JSON/,
    );
  });
});
