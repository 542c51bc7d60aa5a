import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultSettingsDir, describeConfig, loadConfig } from '../../src/config/config.loader.js';
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
    expect(() => loadConfig({ settingsDir: dir, env: { SESSION_BUDDY_AUTH_SECRET: 'x' } })).toThrowError(
      /authSecret \(from env SESSION_BUDDY_AUTH_SECRET\): unknown key.*'__'/,
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
});
