import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ValidationError } from '../../src/core/errors.js';
import { fromMcpNames, jsonSchemaInMcpNames, snakeCase, toMcpNames } from '../../src/mcp/mcp-names.js';

const output = z.object({
  items: z.array(
    z.object({
      sessionId: z.string(),
      createdAt: z.string(),
      metadata: z.record(z.string(), z.unknown()),
      explain: z.object({ textRank: z.number().nullable() }).optional(),
    }),
  ),
  nextCursor: z.string().nullable(),
  perQueue: z.record(z.string(), z.object({ deadLetters: z.number() })),
});

const input = z.strictObject({
  sessionId: z.uuid(),
  q: z.string(),
  idempotencyKey: z.string().optional(),
  metadata: z.record(z.string(), z.unknown()).default({}),
  filter: z.strictObject({ jobName: z.string().optional() }).optional(),
});

describe('MCP names', () => {
  it('snake_cases declared keys of results, never the keys of user data', () => {
    const value = {
      items: [
        { sessionId: 's', createdAt: 't', metadata: { camelKey: 1, nested: { deepKey: 2 } }, explain: { textRank: 1 } },
      ],
      nextCursor: null,
      perQueue: { embeddingQueue: { deadLetters: 3 } },
    };
    expect(toMcpNames(output, value)).toEqual({
      items: [
        {
          session_id: 's',
          created_at: 't',
          metadata: { camelKey: 1, nested: { deepKey: 2 } },
          explain: { text_rank: 1 },
        },
      ],
      next_cursor: null,
      per_queue: { embeddingQueue: { dead_letters: 3 } },
    });
  });

  it('takes snake_case, camelCase and the renamed word on input, and leaves unknown keys for the schema', () => {
    const rename = { q: 'query' };
    expect(
      fromMcpNames(
        input,
        { session_id: 'a', query: 'x', idempotency_key: 'k', metadata: { some_key: 1 }, filter: { job_name: 'j' } },
        rename,
      ),
    ).toEqual({ sessionId: 'a', q: 'x', idempotencyKey: 'k', metadata: { some_key: 1 }, filter: { jobName: 'j' } });
    expect(fromMcpNames(input, { sessionId: 'a', q: 'x' }, rename)).toEqual({ sessionId: 'a', q: 'x' });
    expect(fromMcpNames(input, { session: 'a' }, rename)).toEqual({ session: 'a' });
    expect(() => fromMcpNames(input, { session_id: 'a', sessionId: 'b' }, rename)).toThrow(ValidationError);
    expect(() => fromMcpNames(input, { session_id: 'a', sessionId: 'b' }, rename)).toThrow(/session_id: given twice/);
  });

  it('renames the properties and required keys of the JSON Schema the same way', () => {
    const json = z.toJSONSchema(input, { io: 'input' });
    const renamed = jsonSchemaInMcpNames(json, { q: 'query' }) as {
      properties: Record<string, { properties?: Record<string, unknown> }>;
      required: string[];
    };
    expect(Object.keys(renamed.properties)).toEqual(['session_id', 'query', 'idempotency_key', 'metadata', 'filter']);
    expect(renamed.required).toEqual(['session_id', 'query']);
    expect(Object.keys(renamed.properties.filter?.properties ?? {})).toEqual(['job_name']);
    expect(snakeCase('p95Ms')).toBe('p95_ms');
  });
});
