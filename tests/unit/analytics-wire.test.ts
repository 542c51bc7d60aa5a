import { describe, expect, it } from 'vitest';
import {
  decodeResult,
  encodeResult,
  errorFromResponse,
  parseInternalCall,
  STREAM_HEADER,
} from '../../src/analytics/analytics-wire.js';
import { NotFoundError, UnavailableError, ValidationError } from '../../src/core/errors.js';
import { toProblem } from '../../src/http/problem.js';

const problemResponse = (error: Error, headers: Record<string, string> = {}) => {
  const problem = toProblem(error, '/internal/analytics/query');
  return new Response(JSON.stringify(problem), {
    status: problem.status,
    headers: { 'content-type': 'application/problem+json', ...headers },
  });
};

describe('analytics wire codec (API ⇄ analytics owner)', () => {
  it('a JSON result round-trips', async () => {
    const result = { columns: [{ name: 'n', type: 'BIGINT' }], rows: [[3]], rowCount: 1 };
    expect(await decodeResult(encodeResult(result))).toEqual(result);
  });

  it('a stream result travels as the body, pulled by the reader, with its other fields in a header', async () => {
    let pulled = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        if (pulled > 3) controller.close();
        else controller.enqueue(new TextEncoder().encode(`row ${pulled}\n`));
      },
    });
    const response = encodeResult({ contentType: 'text/csv', fileName: 'x.csv', rows: 3, stream });
    expect(response.headers.get('content-type')).toBe('text/csv');
    expect(response.headers.get(STREAM_HEADER)).not.toBeNull();
    const decoded = (await decodeResult(response)) as { fileName: string; stream: ReadableStream<Uint8Array> };
    expect(decoded).toMatchObject({ contentType: 'text/csv', fileName: 'x.csv', rows: 3 });
    // Nothing beyond the stream's own read-ahead was pulled before the reader asked.
    expect(pulled).toBeLessThanOrEqual(1);
    expect(await new Response(decoded.stream).text()).toBe('row 1\nrow 2\nrow 3\n');
  });

  it('problems come back as the same SessionBuddyError subclass, code, detail and errors', async () => {
    const validation = new ValidationError('only SELECT or WITH statements are allowed', [
      { field: 'sql', message: 'not a SELECT' },
    ]);
    const back = await errorFromResponse(problemResponse(validation));
    expect(back).toBeInstanceOf(ValidationError);
    expect(toProblem(back, '/x')).toEqual(toProblem(validation, '/x'));

    const notFound = await errorFromResponse(problemResponse(new NotFoundError('session', 's-1')));
    expect(notFound).toBeInstanceOf(NotFoundError);
    expect(notFound.message).toBe("session 's-1' not found");

    const unavailable = await errorFromResponse(
      problemResponse(new UnavailableError('standby', 1), { 'retry-after': '1' }),
    );
    expect(unavailable).toBeInstanceOf(UnavailableError);
    expect((unavailable as UnavailableError).retryAfterSeconds).toBe(1);

    await expect(decodeResult(problemResponse(validation))).rejects.toBeInstanceOf(ValidationError);
  });

  it('checks the call body and names the field', () => {
    expect(parseInternalCall({ principal: { tenantId: 't' }, args: [1] })).toEqual({
      principal: { tenantId: 't' },
      args: [1],
    });
    expect(() => parseInternalCall({ principal: {}, args: 'x' })).toThrow(
      /body\.principal\.tenantId: must be a non-empty string; body\.args: must be an array/,
    );
  });
});
