import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { ValidationError } from '../../core/errors.js';

/**
 * The encrypted file format (AES-256-GCM, framed so files of any size stream):
 *
 *   header  = "SBENC1\n" | key id length (1 byte) | key id (ASCII) | chunk size (uint32 BE)
 *   frame   = flags (1 byte: 1 = last frame) | plaintext length (uint32 BE) | nonce (12) | ciphertext | tag (16)
 *
 * Every frame has its own random nonce and tag; its associated data is the header, the frame's index (uint64 BE)
 * and its flags, so frames cannot be reordered, dropped, moved between files of different keys or marked last
 * early. A file whose last frame is missing (truncated) or whose bytes changed fails with a clear error.
 */
const MAGIC = Buffer.from('SBENC1\n', 'ascii');
const NONCE = 12;
const TAG = 16;
const FRAME_HEAD = 5;
/** Plaintext bytes per frame. (Default: 64 KiB) */
export const CHUNK_BYTES = 64 * 1024;

function header(keyId: string, chunkBytes: number): Buffer {
  const id = Buffer.from(keyId, 'ascii');
  const size = Buffer.alloc(4);
  size.writeUInt32BE(chunkBytes);
  return Buffer.concat([MAGIC, Buffer.from([id.length]), id, size]);
}

function frameAad(head: Buffer, index: bigint, flags: number): Buffer {
  const tail = Buffer.alloc(9);
  tail.writeBigUInt64BE(index);
  tail[8] = flags;
  return Buffer.concat([head, tail]);
}

/** A snapshot file that cannot be decrypted: tampered, truncated, or written with another key. */
export class DecryptionError extends ValidationError {}

/** Encrypts a byte stream under `key`, tagged with `keyId`. */
export function encryptStream(key: Buffer, keyId: string, chunkBytes = CHUNK_BYTES): Transform {
  const head = header(keyId, chunkBytes);
  let pending: Buffer = Buffer.alloc(0);
  let index = 0n;
  let started = false;
  const frame = (plain: Buffer, last: boolean): Buffer => {
    const flags = last ? 1 : 0;
    const nonce = randomBytes(NONCE);
    const cipher = createCipheriv('aes-256-gcm', key, nonce);
    cipher.setAAD(frameAad(head, index, flags));
    index += 1n;
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    const prefix = Buffer.alloc(FRAME_HEAD);
    prefix[0] = flags;
    prefix.writeUInt32BE(plain.length, 1);
    return Buffer.concat([prefix, nonce, body, cipher.getAuthTag()]);
  };
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      if (!started) {
        this.push(head);
        started = true;
      }
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      // Keep at least one byte back: the last frame is only known at the end.
      while (pending.length > chunkBytes) {
        this.push(frame(pending.subarray(0, chunkBytes), false));
        pending = pending.subarray(chunkBytes);
      }
      callback();
    },
    flush(callback: TransformCallback) {
      if (!started) this.push(head);
      this.push(frame(pending, true));
      callback();
    },
  });
}

/** The key id an encrypted file names in its header, or undefined when `start` is not an encrypted file's. */
export function readKeyId(start: Buffer): string | undefined {
  if (start.length < MAGIC.length + 1 || !start.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  const length = start[MAGIC.length] as number;
  return start.subarray(MAGIC.length + 1, MAGIC.length + 1 + length).toString('ascii');
}

/**
 * Decrypts what encryptStream wrote. `keyFor` gives the key of the id in the header (undefined: unknown key). Fails
 * with a DecryptionError naming `label` when the header, a frame or the end of the file is wrong.
 */
export function decryptStream(keyFor: (keyId: string) => Buffer | undefined, label: string): Transform {
  let buffered: Buffer = Buffer.alloc(0);
  let head: Buffer | undefined;
  let key: Buffer | undefined;
  let chunkBytes = 0;
  let index = 0n;
  let finished = false;
  const fail = (reason: string) => new DecryptionError(`${label}: cannot decrypt: ${reason}`);
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      try {
        if (!head) {
          if (buffered.length < MAGIC.length + 1) return callback();
          if (!buffered.subarray(0, MAGIC.length).equals(MAGIC)) throw fail('not an encrypted snapshot file');
          const idLength = buffered[MAGIC.length] as number;
          const headLength = MAGIC.length + 1 + idLength + 4;
          if (buffered.length < headLength) return callback();
          head = Buffer.from(buffered.subarray(0, headLength));
          const keyId = head.subarray(MAGIC.length + 1, MAGIC.length + 1 + idLength).toString('ascii');
          key = keyFor(keyId);
          if (!key) throw fail(`key '${keyId}' is not in sync.encryptionKeys`);
          chunkBytes = head.readUInt32BE(headLength - 4);
          buffered = buffered.subarray(headLength);
        }
        while (buffered.length >= FRAME_HEAD) {
          if (finished) throw fail('data after the last frame');
          const flags = buffered[0] as number;
          const length = buffered.readUInt32BE(1);
          if (flags > 1 || length > chunkBytes) throw fail(`frame ${index} is corrupt`);
          const total = FRAME_HEAD + NONCE + length + TAG;
          if (buffered.length < total) break;
          const nonce = buffered.subarray(FRAME_HEAD, FRAME_HEAD + NONCE);
          const body = buffered.subarray(FRAME_HEAD + NONCE, FRAME_HEAD + NONCE + length);
          const decipher = createDecipheriv('aes-256-gcm', key as Buffer, nonce);
          decipher.setAAD(frameAad(head, index, flags));
          decipher.setAuthTag(buffered.subarray(total - TAG, total));
          let plain: Buffer;
          try {
            plain = Buffer.concat([decipher.update(body), decipher.final()]);
          } catch {
            throw fail(`frame ${index} failed authentication (tampered, or the wrong key)`);
          }
          this.push(plain);
          index += 1n;
          finished = flags === 1;
          buffered = buffered.subarray(total);
        }
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
    flush(callback: TransformCallback) {
      if (!head) return callback(fail('the file is empty or its header is cut off'));
      if (!finished || buffered.length > 0) return callback(fail('the file is truncated (its last frame is missing)'));
      callback();
    },
  });
}
