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
    const missing = Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' });
    expect(() =>
      configFromEnv({ THINGSPACE_CONFIG_FILE: '/nope.json' }, () => {
        throw missing;
      }),
    ).toThrow('THINGSPACE_CONFIG_FILE (/nope.json) could not be read (ENOENT)');
  });

  it('never echoes a malformed file, whose text holds the secrets', () => {
    // JSON.parse's own message quotes the text around the error: here, an unquoted secret.
    const malformed = '{"appKey": "k", "appSecret": s3cr3t-app-secret, "password": "hunter2-password"}';
    let message = '';
    try {
      configFromEnv({ THINGSPACE_CONFIG_FILE: '/run/secrets/thingspace.json' }, () => malformed);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toBe(
      'THINGSPACE_CONFIG_FILE (/run/secrets/thingspace.json) could not be read as JSON: it is not valid JSON',
    );
    // Control: the parser's message does carry the secret.
    expect(() => JSON.parse(malformed)).toThrow(/s3cr3t/);
    for (const notAnObject of ['[]', '"text"', 'null']) {
      expect(() => configFromEnv({ THINGSPACE_CONFIG_FILE: '/f.json' }, () => notAnObject)).toThrow(
        'THINGSPACE_CONFIG_FILE (/f.json) must hold a JSON object',
      );
    }
  });
});

describe('THINGSPACE_BASE_URL', () => {
  const secrets = {
    THINGSPACE_APP_KEY: 'k',
    THINGSPACE_APP_SECRET: 's',
    THINGSPACE_USERNAME: 'u',
    THINGSPACE_PASSWORD: 'p',
  };
  const url = (base: string, extra: Record<string, string> = {}) =>
    configFromEnv({ ...secrets, THINGSPACE_BASE_URL: base, ...extra }).baseUrl;

  it('must be https, except on loopback', () => {
    expect(url('https://thingspace.verizon.com/api/')).toBe('https://thingspace.verizon.com/api');
    for (const local of ['http://127.0.0.1:9100/api', 'http://localhost:9100/api', 'http://[::1]:9100/api']) {
      expect(url(local)).toBe(local);
    }
    for (const remote of ['http://thingspace.verizon.com/api', 'http://simulator:9100/api', 'http://10.0.0.5/api']) {
      expect(() => url(remote)).toThrow(
        'THINGSPACE_BASE_URL: baseUrl must be https (plain http only for a loopback address, or with ' +
          'THINGSPACE_ALLOW_INSECURE_HTTP=true for a simulator)',
      );
    }
  });

  it('may be plain http elsewhere only with THINGSPACE_ALLOW_INSECURE_HTTP=true (a simulator)', () => {
    expect(url('http://simulator:9100/api', { THINGSPACE_ALLOW_INSECURE_HTTP: 'true' })).toBe(
      'http://simulator:9100/api',
    );
    expect(() => url('http://simulator:9100/api', { THINGSPACE_ALLOW_INSECURE_HTTP: 'false' })).toThrow(
      /must be https/,
    );
    expect(() => url('http://simulator:9100/api', { THINGSPACE_ALLOW_INSECURE_HTTP: '1' })).toThrow(
      'THINGSPACE_ALLOW_INSECURE_HTTP: must be true or false',
    );
  });
});

describe('secrets from files', () => {
  it('reads THINGSPACE_APP_KEY_FILE, THINGSPACE_APP_SECRET_FILE and THINGSPACE_PASSWORD_FILE', () => {
    const files: Record<string, string> = {
      '/run/secrets/app_key': 'file-app-key\n',
      '/run/secrets/app_secret': 'file-app-secret\n',
      '/run/secrets/password': 'file-password',
    };
    const config = configFromEnv(
      {
        THINGSPACE_APP_KEY_FILE: '/run/secrets/app_key',
        THINGSPACE_APP_SECRET_FILE: '/run/secrets/app_secret',
        THINGSPACE_PASSWORD_FILE: '/run/secrets/password',
        THINGSPACE_USERNAME: 'u',
      },
      (path) => files[path]!,
    );
    expect(config).toMatchObject({ appKey: 'file-app-key', appSecret: 'file-app-secret', password: 'file-password' });
  });

  it('names the variable and file on a conflict, an empty or an unreadable file, never a value', () => {
    const enoent = () => {
      throw Object.assign(new Error('nope'), { code: 'ENOENT' });
    };
    let message = '';
    try {
      configFromEnv(
        {
          THINGSPACE_APP_KEY: 'k',
          THINGSPACE_APP_KEY_FILE: '/a',
          THINGSPACE_APP_SECRET_FILE: '/empty',
          THINGSPACE_PASSWORD_FILE: '/missing',
          THINGSPACE_USERNAME: 'u',
        },
        (path) => (path === '/empty' ? '\n' : enoent()),
      );
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toBe(
      'ThingSpace settings: THINGSPACE_APP_KEY, THINGSPACE_APP_KEY_FILE: set only one of them; ' +
        'THINGSPACE_APP_SECRET_FILE: /empty is empty; THINGSPACE_PASSWORD_FILE: cannot read /missing (ENOENT)',
    );
  });
});
