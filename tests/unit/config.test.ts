import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { flatAliases, walkConfig } from '../../src/config/config.keys.js';
import {
  assertAuthDecided,
  defaultSettingsDir,
  describeConfig,
  envKey,
  loadConfig,
} from '../../src/config/config.loader.js';
import { ConfigError } from '../../src/core/errors.js';

describe('configuration', () => {
  let dir: string;
  const write = (name: string, text: string) => writeFileSync(join(dir, name), text);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sb-config-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('the committed settings load in both modes', () => {
    const lite = loadConfig({ settingsDir: defaultSettingsDir(), env: {} });
    expect(lite.config.mode).toBe('lite');
    expect(lite.config.database).toMatchObject({ driver: 'sqlite', sqlitePath: ':memory:' });
    const standard = loadConfig({ settingsDir: defaultSettingsDir(), env: { SESSION_BUDDY_MODE: 'standard' } });
    expect(standard.config.database.driver).toBe('postgres');
    expect(standard.sources['database.driver']).toMatch(/^file .*standard\.yaml$/);
  });

  it('applies sources in order: defaults < base < mode < local < env < cli', () => {
    write('session-buddy.yaml', 'server:\n  port: 1001\n  host: 0.0.0.0\nlogging:\n  level: warn\n');
    write('standard.yaml', 'server:\n  port: 1002\ndatabase:\n  driver: postgres\n  url: postgres://h/db\n');
    write('local.yaml', 'mode: standard\nserver:\n  port: 1003\n');
    const env = { SESSION_BUDDY_SERVER__PORT: '1004', SESSION_BUDDY_LIMITS__BATCH_MESSAGES: '7' };
    const loaded = loadConfig({ settingsDir: dir, env, overrides: { server: { port: 1005 } } });
    expect(loaded.config.mode).toBe('standard');
    expect(loaded.config.server.port).toBe(1005);
    expect(loaded.sources['server.port']).toBe('cli');
    expect(loaded.config.server.host).toBe('0.0.0.0');
    expect(loaded.sources['server.host']).toBe(`file ${join(dir, 'session-buddy.yaml')}`);
    expect(loaded.config.limits.batchMessages).toBe(7);
    expect(loaded.sources['limits.batchMessages']).toBe('env SESSION_BUDDY_LIMITS__BATCH_MESSAGES');
    expect(loaded.config.database.url).toBe('postgres://h/db');
    expect(loaded.sources['limits.pageSize']).toBe('default');
    expect(loaded.config.logging.level).toBe('warn');

    const withoutCli = loadConfig({ settingsDir: dir, env });
    expect(withoutCli.config.server.port).toBe(1004);
  });

  it('names the key, the source and the reason of an invalid value', () => {
    write('session-buddy.yaml', 'server:\n  port: 99999\n');
    expect(() => loadConfig({ settingsDir: dir, env: {} })).toThrowError(
      new RegExp(`server\\.port \\(from file ${join(dir, 'session-buddy.yaml')}\\): .*65535`),
    );
    expect(() => loadConfig({ settingsDir: dir, env: { SESSION_BUDDY_SERVER__PORT: 'abc' } })).toThrowError(
      /server\.port \(from env SESSION_BUDDY_SERVER__PORT\)/,
    );
  });

  it('rejects unknown keys and hints at the env nesting rule', () => {
    expect(() => loadConfig({ settingsDir: dir, env: { SESSION_BUDDY_AUTH_SECRETS: 'x' } })).toThrowError(
      /authSecrets \(from env SESSION_BUDDY_AUTH_SECRETS\): unknown key.*'__'/,
    );
    // The CLI's client variables (search --url) are not server configuration.
    expect(
      loadConfig({ settingsDir: dir, env: { SESSION_BUDDY_URL: 'http://x', SESSION_BUDDY_TOKEN: 't' } }).config.mode,
    ).toBe('lite');
    write('local.yaml', 'server:\n  prot: 1\n');
    expect(() => loadConfig({ settingsDir: dir, env: {} })).toThrowError(
      /server\.prot \(from file .*local\.yaml\): unknown key/,
    );
  });

  it('accepts secrets from the environment only, and redacts them when shown', () => {
    write('local.yaml', 'auth:\n  secret: abcdefghijklmnopqrstuvwxyz0123456789\n');
    expect(() => loadConfig({ settingsDir: dir, env: {} })).toThrowError(/auth\.secret .*environment only/);
    rmSync(join(dir, 'local.yaml'));
    write('standard.yaml', 'database:\n  driver: postgres\n  url: postgres://u:hunter2@db/x\n');
    expect(() => loadConfig({ settingsDir: dir, env: { SESSION_BUDDY_MODE: 'standard' } })).toThrowError(
      /database\.url .*password.*environment/,
    );
    write('standard.yaml', 'database:\n  driver: postgres\n  url: postgres://u@db/x\n');
    const loaded = loadConfig({
      settingsDir: dir,
      env: {
        SESSION_BUDDY_MODE: 'standard',
        SESSION_BUDDY_DATABASE__URL: 'postgres://u:hunter2@db/x',
        SESSION_BUDDY_AUTH__ENABLED: 'true',
        SESSION_BUDDY_AUTH__SECRET: 'abcdefghijklmnopqrstuvwxyz0123456789',
      },
    });
    expect(loaded.config.auth.enabled).toBe(true);
    const shown = JSON.stringify(describeConfig(loaded));
    expect(shown).not.toContain('hunter2');
    expect(shown).not.toContain('abcdefghijklmnopqrstuvwxyz');
    expect(shown).toContain('postgres://u:***@db/x');
  });

  it('takes snapshot keys from the environment only, redacts them, and refuses gcp/azure naming why', () => {
    const keys = `k1:${Buffer.alloc(32, 9).toString('base64')}`;
    write('local.yaml', `sync:\n  encryptionKeys: "${keys}"\n`);
    expect(() => loadConfig({ settingsDir: dir, env: {} })).toThrowError(/sync\.encryptionKeys .*environment only/);
    rmSync(join(dir, 'local.yaml'));
    const loaded = loadConfig({ settingsDir: dir, env: { SESSION_BUDDY_SYNC__ENCRYPTION_KEYS: keys } });
    expect(loaded.config.sync.encryptionKeys).toBe(keys);
    expect(JSON.stringify(describeConfig(loaded))).not.toContain(keys.slice(3));
    expect(() => loadConfig({ settingsDir: dir, env: { SESSION_BUDDY_SYNC__CLOUD_PROVIDER: 'azure' } })).toThrowError(
      /sync\.cloudProvider.*azure is not supported/,
    );
    expect(() => loadConfig({ settingsDir: dir, env: { SESSION_BUDDY_SYNC__CLOUD_PROVIDER: 'aws' } })).toThrowError(
      /sync\.bucket.*required when sync\.cloudProvider is aws/,
    );
  });

  it('one rule for passwords in every URL setting: environment only, redacted when shown', () => {
    for (const [yaml, key] of [
      ['embedding:\n  url: http://user:hunter2@embed.example/v1\n', 'embedding.url'],
      ['redis:\n  url: redis://:hunter2@cache:6379\n', 'redis.url'],
    ] as const) {
      write('local.yaml', yaml);
      expect(() => loadConfig({ settingsDir: dir, env: {} })).toThrowError(
        new RegExp(
          `${key.replace('.', '\\.')} \\(from file .*local\\.yaml\\): a password in the URL must come from the environment \\(SESSION_BUDDY_${key.replace('.', '__').toUpperCase()}\\)`,
        ),
      );
    }
    rmSync(join(dir, 'local.yaml'));
    const loaded = loadConfig({
      settingsDir: dir,
      env: {
        SESSION_BUDDY_EMBEDDING__URL: 'http://user:hunter2@embed.example/v1',
        SESSION_BUDDY_REDIS__URL: 'redis://:hunter3@cache:6379/0',
      },
    });
    const shown = Object.fromEntries(describeConfig(loaded).map((line) => [line.key, line.value]));
    expect(JSON.stringify(shown)).not.toMatch(/hunter[23]/);
    expect(shown['embedding.url']).toBe('http://user:***@embed.example/v1');
    expect(shown['redis.url']).toBe('redis://:***@cache:6379/0');
    expect(loaded.config.embedding.url).toBe('http://user:hunter2@embed.example/v1');
  });

  it('requires what a mode needs and throws ConfigError', () => {
    let caught: unknown;
    try {
      loadConfig({ settingsDir: dir, env: { SESSION_BUDDY_DATABASE__DRIVER: 'postgres' } });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as Error).message).toMatch(/database\.url .*required when database\.driver is postgres/);
    expect(() => loadConfig({ settingsDir: dir, env: { SESSION_BUDDY_MODE: 'turbo' } })).toThrowError(
      /mode \(from env SESSION_BUDDY_MODE\): must be 'lite' or 'standard'/,
    );
  });

  it('reports a broken YAML file by name', () => {
    write('session-buddy.yaml', 'server: [unclosed\n');
    expect(() => loadConfig({ settingsDir: dir, env: {} })).toThrowError(/session-buddy\.yaml: not valid YAML/);
  });

  describe('flat environment names', () => {
    const secret = 'abcdefghijklmnopqrstuvwxyz0123456789';

    it("accept the original .mcp.json's SESSION_BUDDY_AUTH_ENABLED and SESSION_BUDDY_AUTH_SECRET", () => {
      const loaded = loadConfig({
        settingsDir: dir,
        env: { SESSION_BUDDY_AUTH_ENABLED: 'true', SESSION_BUDDY_AUTH_SECRET: secret },
      });
      expect(loaded.config.auth).toMatchObject({ enabled: true, secret });
      expect(loaded.sources['auth.enabled']).toBe('env SESSION_BUDDY_AUTH_ENABLED');
      expect(loaded.sources['auth.secret']).toBe('env SESSION_BUDDY_AUTH_SECRET');
    });

    it('map camelCase keys and deeper paths, and leave top-level keys as they were', () => {
      const loaded = loadConfig({
        settingsDir: dir,
        env: {
          SESSION_BUDDY_SERVER_BODY_LIMIT_BYTES: '2048',
          SESSION_BUDDY_EMBEDDING_BREAKER_TIMEOUT_MS: '1234',
          SESSION_BUDDY_QUEUE_SYNC_ATTEMPTS: '9',
          SESSION_BUDDY_MCP_ALLOWED_HOSTS: 'a.example,b.example',
          SESSION_BUDDY_SERVER_NAME: 'Buddy',
        },
      });
      expect(loaded.config.server.bodyLimitBytes).toBe(2048);
      expect(loaded.config.embedding.breaker.timeoutMs).toBe(1234);
      expect(loaded.config.queue.sync.attempts).toBe(9);
      expect(loaded.config.queue.embedding.attempts).toBe(5);
      expect(loaded.config.mcp.allowedHosts).toEqual(['a.example', 'b.example']);
      expect(loaded.config.serverName).toBe('Buddy');
    });

    it('refuse an unknown flat name in one line naming the variable', () => {
      let message = '';
      try {
        loadConfig({ settingsDir: dir, env: { SESSION_BUDDY_AUTH_ENABLE: 'true' } });
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        message = (error as Error).message;
      }
      expect(message).toMatch(/authEnable \(from env SESSION_BUDDY_AUTH_ENABLE\): unknown key/);
      expect(message.split('\n')).toHaveLength(1);
    });

    it('refuse the alias and the nested form set to different values, naming both', () => {
      const both = { SESSION_BUDDY_AUTH_SECRET: secret, SESSION_BUDDY_AUTH__SECRET: `${secret}-other` };
      expect(() => loadConfig({ settingsDir: dir, env: both })).toThrowError(
        /^Invalid configuration: auth\.secret \(from env SESSION_BUDDY_AUTH_SECRET and env SESSION_BUDDY_AUTH__SECRET\): set twice with different values; keep one$/,
      );
      const agreeing = { SESSION_BUDDY_SERVER_PORT: '1234', SESSION_BUDDY_SERVER__PORT: '1234' };
      expect(loadConfig({ settingsDir: dir, env: agreeing }).config.server.port).toBe(1234);
    });

    it('refuse a flat name that two keys spell', () => {
      const aliases = flatAliases([
        { path: ['a', 'bC'], key: 'a.bC' },
        { path: ['aB', 'c'], key: 'aB.c' },
      ]);
      expect(() => envKey('SESSION_BUDDY_A_B_C', aliases)).toThrowError(
        /^Invalid configuration: SESSION_BUDDY_A_B_C \(from env SESSION_BUDDY_A_B_C\): ambiguous, could be a\.bC or aB\.c; join nested keys with '__'$/,
      );
      expect(envKey('SESSION_BUDDY_A__B_C', aliases)).toBe('a.bC');
    });

    it('are unambiguous for every key of the schema', () => {
      for (const [name, keys] of flatAliases(walkConfig().keys)) expect(keys, name).toHaveLength(1);
    });
  });

  describe('auth in standard mode (issue 10: on by default)', () => {
    const load = (env: Record<string, string>) =>
      loadConfig({ settingsDir: defaultSettingsDir(), env: { SESSION_BUDDY_MODE: 'standard', ...env } });
    const secret = 'standard-mode-secret-standard-mode-secret';

    it('is on when a secret is set and auth.enabled is left unset; off when set to false explicitly', () => {
      const withSecret = load({ SESSION_BUDDY_AUTH__SECRET: secret });
      expect(withSecret.config.auth.enabled).toBe(true);
      expect(() => assertAuthDecided(withSecret)).not.toThrow();
      const off = load({ SESSION_BUDDY_AUTH__SECRET: secret, SESSION_BUDDY_AUTH__ENABLED: 'false' });
      expect(off.config.auth.enabled).toBe(false);
      expect(() => assertAuthDecided(off)).not.toThrow();
    });

    it('refuses start and worker (assertAuthDecided) when nothing was said, in one line; lite is not refused', () => {
      expect(() => assertAuthDecided(load({}))).toThrow(/auth\.enabled: standard mode needs authentication/);
      expect(() => assertAuthDecided(loadConfig({ settingsDir: defaultSettingsDir(), env: {} }))).not.toThrow();
      // A JWKS is a key too.
      const jwks = load({ SESSION_BUDDY_AUTH__JWKS_URL: 'https://idp.example/.well-known/jwks.json' });
      expect(jwks.config.auth.enabled).toBe(true);
    });
  });
});
