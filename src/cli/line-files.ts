import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

/** The lines of a file, streamed (never read whole); `\r\n` and `\n` both end a line. */
export async function* readLines(file: string): AsyncGenerator<string> {
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Number.POSITIVE_INFINITY });
  yield* lines;
}

export async function countLines(file: string): Promise<number> {
  let count = 0;
  for await (const _ of readLines(file)) count++;
  return count;
}
