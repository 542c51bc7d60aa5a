import { ConfigError } from '../../core/errors.js';

/** A key id: what file names and headers carry, so it must stay short and plain. */
export const KEY_ID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

/** The snapshot encryption keys: id → 32-byte AES-256 key, and the one new files are written with. */
export interface Keyring {
  keys: ReadonlyMap<string, Buffer>;
  /** Undefined when no key is configured: snapshots are then written unencrypted. */
  activeId: string | undefined;
}

export const EMPTY_KEYRING: Keyring = { keys: new Map(), activeId: undefined };

/**
 * Parses `sync.encryptionKeys` ("id:key,id:key", each key 32 bytes as base64 or 64 hex digits) and
 * `sync.encryptionActiveKey` (default: the last key listed). Throws a ConfigError naming the key and the reason; the
 * key material never appears in a message.
 */
export function parseKeyring(spec: string | undefined, activeId: string | undefined): Keyring {
  const keys = new Map<string, Buffer>();
  let last: string | undefined;
  for (const entry of (spec ?? '').split(',').map((s) => s.trim())) {
    if (entry === '') continue;
    const colon = entry.indexOf(':');
    const id = colon > 0 ? entry.slice(0, colon) : '';
    const material = entry.slice(colon + 1);
    if (!KEY_ID_PATTERN.test(id)) {
      throw new ConfigError(
        `sync.encryptionKeys: each entry must be <id>:<key> with an id of 1-32 letters, digits, '_' or '-' (entry ${keys.size + 1})`,
      );
    }
    const key = /^[0-9a-f]{64}$/i.test(material) ? Buffer.from(material, 'hex') : Buffer.from(material, 'base64');
    if (key.length !== 32 || (key.toString('base64') !== material && !/^[0-9a-f]{64}$/i.test(material))) {
      throw new ConfigError(`sync.encryptionKeys: key '${id}' must be 32 bytes, as base64 or 64 hex digits`);
    }
    if (keys.has(id)) throw new ConfigError(`sync.encryptionKeys: key id '${id}' is listed twice`);
    keys.set(id, key);
    last = id;
  }
  if (activeId !== undefined && !keys.has(activeId)) {
    throw new ConfigError(`sync.encryptionActiveKey: '${activeId}' is not a key id in sync.encryptionKeys`);
  }
  return { keys, activeId: activeId ?? last };
}
