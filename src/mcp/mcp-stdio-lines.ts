import { Transform, type TransformCallback, type Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { JSONRPCMessageSchema } from '@modelcontextprotocol/sdk/types.js';

/** JSON-RPC 2.0: the line was not JSON. */
export const PARSE_ERROR = -32700;
/** JSON-RPC 2.0: JSON, but not a JSON-RPC message. */
export const INVALID_REQUEST = -32600;

/** Longest line in bytes: the SDK transport's own buffer limit (10 MiB), past which it would close. */
export const MAX_LINE_BYTES = 10 * 1024 * 1024;

/**
 * Stands between stdin and the SDK's stdio transport, which drops a line it cannot read without a word
 * (issue 10). Each complete line that is JSON and a JSON-RPC message passes through unchanged; any other
 * non-blank line is answered on `stdout` with a JSON-RPC error (-32700 parse error, or -32600 invalid
 * request carrying the request's id when it had one) and goes no further, so the client is told instead of
 * waiting for an answer that never comes. A partial line waits for the rest of it, up to `maxLineBytes`: a
 * longer line is answered -32700 once and skipped up to its newline, so memory stays bounded.
 */
export function jsonRpcLineFilter(stdout: Writable, maxLineBytes = MAX_LINE_BYTES): Transform {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let skipping = false;
  // UTF-8 takes at most 3 bytes per UTF-16 unit: the exact count is only needed near the limit.
  const tooLong = (text: string): boolean => text.length * 3 > maxLineBytes && Buffer.byteLength(text) > maxLineBytes;
  const check = (line: string): string | undefined => {
    const text = line.replace(/\r$/, '');
    if (text.trim().length === 0) return undefined;
    if (tooLong(text)) {
      answer(stdout, null, PARSE_ERROR, `Parse error: a line is longer than ${maxLineBytes} bytes; skipped`);
      return undefined;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      answer(stdout, null, PARSE_ERROR, `Parse error: the line is not valid JSON (${(error as Error).message})`);
      return undefined;
    }
    if (!JSONRPCMessageSchema.safeParse(parsed).success) {
      answer(stdout, idOf(parsed), INVALID_REQUEST, 'Invalid Request: the line is JSON but not a JSON-RPC 2.0 message');
      return undefined;
    }
    return `${text}\n`;
  };
  return new Transform({
    transform(chunk: Buffer | string, _encoding: BufferEncoding, done: TransformCallback) {
      pending += typeof chunk === 'string' ? chunk : decoder.write(chunk);
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      if (skipping && lines.length > 0) {
        lines.shift(); // the end of the overlong line
        skipping = false;
      }
      if (skipping) pending = '';
      else if (tooLong(pending)) {
        answer(stdout, null, PARSE_ERROR, `Parse error: a line is longer than ${maxLineBytes} bytes; skipped`);
        pending = '';
        skipping = true;
      }
      const passed = lines.map(check).filter((l): l is string => l !== undefined);
      done(null, passed.length ? passed.join('') : undefined);
    },
    flush(done: TransformCallback) {
      // The transport only reads whole lines; a last line without its newline never reached it before either.
      pending = '';
      done();
    },
  });
}

function idOf(value: unknown): string | number | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const id = (value as { id?: unknown }).id;
  return typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id)) ? id : null;
}

function answer(stdout: Writable, id: string | number | null, code: number, message: string): void {
  stdout.write(`${JSON.stringify({ jsonrpc: '2.0', id, error: { code, message } })}\n`);
}
