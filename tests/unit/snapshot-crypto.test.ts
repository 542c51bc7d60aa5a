import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.js';
import { parseKeyring } from '../../src/services/snapshots/keyring.js';
import {
  DecryptionError,
  decryptStream,
  encryptStream,
  readKeyId,
} from '../../src/services/snapshots/snapshot-crypto.js';

const key = randomBytes(32);

async function collect(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

async function encrypt(plain: Buffer, chunkBytes = 1000, chunks = 7): Promise<Buffer> {
  const out: Buffer[] = [];
  const pieces = Array.from({ length: chunks }, (_, i) =>
    plain.subarray(Math.floor((i * plain.length) / chunks), Math.floor(((i + 1) * plain.length) / chunks)),
  );
  await pipeline(Readable.from(pieces), encryptStream(key, 'k1', chunkBytes), async (source) => {
    for await (const chunk of source) out.push(chunk as Buffer);
  });
  return Buffer.concat(out);
}

const decrypt = (bytes: Buffer, keys: Record<string, Buffer> = { k1: key }) =>
  collect(Readable.from([bytes]).pipe(decryptStream((id) => keys[id], 'x.enc')));

describe('framed AES-256-GCM', () => {
  it('round-trips any size, frame boundaries included, and names its key id', async () => {
    for (const size of [0, 1, 999, 1000, 1001, 5000, 12_345]) {
      const plain = randomBytes(size);
      const sealed = await encrypt(plain);
      expect(readKeyId(sealed)).toBe('k1');
      expect((await decrypt(sealed)).equals(plain)).toBe(true);
    }
  });

  it('refuses a flipped bit, a truncated file, a dropped frame, extra bytes and an unknown key', async () => {
    const plain = randomBytes(4500);
    const sealed = await encrypt(plain);
    const flipped = Buffer.from(sealed);
    flipped[sealed.length - 30] = (flipped[sealed.length - 30] as number) ^ 1;
    await expect(decrypt(flipped)).rejects.toThrow(/frame 4 failed authentication/);
    await expect(decrypt(sealed.subarray(0, sealed.length - 10))).rejects.toThrow(/truncated/);
    // Cut after a whole frame: every remaining frame is authentic, but the last one is missing.
    const header = 7 + 1 + 2 + 4;
    const frame = 5 + 12 + 1000 + 16;
    await expect(decrypt(sealed.subarray(0, header + 2 * frame))).rejects.toThrow(/truncated/);
    // Frame 1 removed: frame 2 now sits at index 1 and fails its tag.
    const dropped = Buffer.concat([sealed.subarray(0, header + frame), sealed.subarray(header + 2 * frame)]);
    await expect(decrypt(dropped)).rejects.toThrow(/frame 1 failed authentication/);
    await expect(decrypt(Buffer.concat([sealed, Buffer.from([0, 0, 0, 0, 0, 1])]))).rejects.toThrow(/after the last/);
    await expect(decrypt(sealed, { k2: key })).rejects.toThrow(/key 'k1' is not in sync.encryptionKeys/);
    await expect(decrypt(sealed, { k1: randomBytes(32) })).rejects.toThrow(DecryptionError);
    await expect(decrypt(Buffer.from('{"plain":"json"}\n'))).rejects.toThrow(/not an encrypted snapshot file/);
  });
});

describe('keyring', () => {
  const b64 = randomBytes(32).toString('base64');
  const hex = randomBytes(32).toString('hex');

  it('parses ids and keys (base64 or hex); the active key defaults to the last', () => {
    const ring = parseKeyring(` old:${b64}, new:${hex} `, undefined);
    expect([...ring.keys.keys()]).toEqual(['old', 'new']);
    expect(ring.activeId).toBe('new');
    expect(parseKeyring(`old:${b64},new:${hex}`, 'old').activeId).toBe('old');
    expect(parseKeyring(undefined, undefined).activeId).toBeUndefined();
  });

  it('refuses bad entries with a message naming the key, never the key material', () => {
    const bad = [
      [`:${b64}`, /entry 1/],
      [`a b:${b64}`, /entry 1/],
      ['short:AAAA', /key 'short' must be 32 bytes/],
      [`a:${b64},a:${hex}`, /listed twice/],
    ] as const;
    for (const [spec, message] of bad) {
      expect(() => parseKeyring(spec, undefined)).toThrow(ConfigError);
      expect(() => parseKeyring(spec, undefined)).toThrow(message);
      try {
        parseKeyring(spec, undefined);
      } catch (error) {
        expect((error as Error).message).not.toContain(b64);
      }
    }
    expect(() => parseKeyring(`a:${b64}`, 'b')).toThrow(/sync.encryptionActiveKey: 'b' is not a key id/);
  });
});
