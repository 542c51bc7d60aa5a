import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { findBadInput } from '../../src/core/validate.js';
import { jsonlChatReader, markdownChatReader } from '../../src/services/history/chat.reader.js';
import { claudeCodeReader } from '../../src/services/history/claude-code.reader.js';
import {
  clip,
  type HistoryMessage,
  type HistoryReader,
  projectFromCwd,
  type SessionFacts,
} from '../../src/services/history/history-records.js';
import { LineError, splitLines } from '../../src/services/transfer/import-records.js';

const fixture = (path: string) => readFileSync(fileURLToPath(new URL(`../fixtures/${path}`, import.meta.url)), 'utf8');
const KAYAK = 'claude-code/projects/-home-dev-kayak-planner/7f3c2a10-4b6e-4d21-9a8f-2c5e1b7d9e31.jsonl';
const limits = { messageChars: 10_000, toolChars: 200 };

interface Read {
  messages: Array<{ line: number; message: HistoryMessage }>;
  facts: SessionFacts;
  skipped: number;
  errors: Array<{ line: number; message: string }>;
}

/** Every line of `text` through `reader`, as the import service drives it. */
function readAll(reader: HistoryReader, text: string): Read {
  const out: Read = { messages: [], facts: {}, skipped: 0, errors: [] };
  const take = (r: ReturnType<HistoryReader['read']>) => {
    out.messages.push(...r.messages);
    if (r.skipped) out.skipped++;
    for (const [k, v] of Object.entries(r.facts ?? {})) (out.facts as Record<string, string>)[k] ??= v;
  };
  let line = 0;
  for (const raw of splitLines(text)) {
    line++;
    try {
      take(reader.read(raw, line));
    } catch (error) {
      if (!(error instanceof LineError)) throw error;
      out.errors.push({ line, message: error.message });
    }
  }
  take(reader.end());
  return out;
}

describe('Claude Code transcripts', () => {
  const read = readAll(claudeCodeReader(limits), fixture(KAYAK));

  it('keeps user, assistant, tool and system lines with their own time and uuid as the key', () => {
    expect(read.errors).toEqual([]);
    expect(read.messages.map((m) => [m.line, m.message.role, m.message.createdAt])).toEqual([
      [4, 'user', '2025-10-14T09:00:05.250Z'],
      [6, 'assistant', '2025-10-14T09:00:10.400Z'],
      [7, 'tool', '2025-10-14T09:00:10.900Z'],
      [8, 'assistant', '2025-10-14T09:01:02.000Z'],
      [9, 'tool', '2025-10-14T09:01:20.500Z'],
      [10, 'system', '2025-10-14T09:01:21.000Z'],
      [11, 'assistant', '2025-10-14T09:02:40.000Z'],
      [12, 'user', '2025-10-14T09:05:00.000Z'],
    ]);
    expect(read.messages[0]?.message.key).toBe('claude-code:e1000000-0000-4000-8000-000000000002');
    expect(read.messages[1]?.message.metadata).toMatchObject({
      source: 'claude-code',
      uuid: 'e1000000-0000-4000-8000-000000000004',
      parentUuid: 'e1000000-0000-4000-8000-000000000003',
      model: 'claude-sonnet-4-20250514',
      tools: ['Read'],
    });
  });

  it('skips the summary, the snapshot, the meta caveat and a thinking-only line; the summary names the session', () => {
    expect(read.skipped).toBe(4);
    expect(read.facts).toEqual({
      title: 'Tide table parser for the kayak planner',
      sourceId: '7f3c2a10-4b6e-4d21-9a8f-2c5e1b7d9e31',
      cwd: '/home/dev/kayak-planner',
      gitBranch: 'feature/tide-tables',
    });
    expect(read.messages.some((m) => m.message.content.includes('look at the parser first'))).toBe(false);
  });

  it('renders tool calls and results as readable text', () => {
    const text = read.messages.map((m) => m.message.content);
    expect(text[1]).toBe(
      'Let me read the parser first.\n\n[tool call: Read] {"file_path":"/home/dev/kayak-planner/src/tides/parse.ts"}',
    );
    expect(text[2]).toMatch(/^\[tool result\] {6}1→export function parseTides/);
    expect(text[4]).toBe(
      '[tool error] FAIL tests/tides.test.ts\n  expected 2 constituents, got 0 (M2, S2 rows dropped)',
    );
    expect(text[7]).toBe('Great, and make the sunrise window configurable too.');
  });

  it('bounds a long tool result and a long message, saying how much was cut', () => {
    const reader = claudeCodeReader({ messageChars: 300, toolChars: 100 });
    const line = (content: unknown) =>
      JSON.stringify({
        type: 'user',
        uuid: 'u1',
        timestamp: '2025-10-14T09:00:00Z',
        message: { role: 'user', content },
      });
    const tool = reader.read(line([{ type: 'tool_result', tool_use_id: 't', content: 'x'.repeat(5000) }]), 1);
    expect(tool.messages[0]?.message.content).toHaveLength('[tool result] '.length + 100);
    expect(tool.messages[0]?.message.content).toMatch(/… \[\d+ more characters\]$/);
    const long = reader.read(line('y'.repeat(1000)), 2);
    expect(long.messages[0]?.message.content).toHaveLength(300);
  });

  it('reports a bad line with its reason and reads the others', () => {
    const bad = readAll(claudeCodeReader(limits), fixture('claude-code/bad-lines.jsonl'));
    expect(bad.errors).toEqual([
      { line: 2, message: expect.stringMatching(/^not valid JSON/) },
      { line: 4, message: 'uuid: is required (a string)' },
    ]);
    // The line with an unreadable time is read; the message schema refuses it (see the import tests).
    expect(bad.messages.map((m) => m.line)).toEqual([1, 3, 5]);
  });

  it('makes an agent transcript a session of its own', () => {
    const agent = readAll(
      claudeCodeReader(limits),
      fixture('claude-code/projects/-home-dev-kayak-planner/agent-5d1e9b2c.jsonl'),
    );
    expect(agent.facts.sourceId).toBe('7f3c2a10-4b6e-4d21-9a8f-2c5e1b7d9e31:agent-5d1e9b2c');
    expect(agent.messages[0]?.message.metadata.sidechain).toBe(true);
  });
});

describe('generic JSON lines', () => {
  it('reads {role, content, timestamp} lines; keys come from position and content', () => {
    const read = readAll(jsonlChatReader(limits), fixture('chat/chat.jsonl'));
    expect(read.errors).toEqual([]);
    expect(read.messages.map((m) => [m.line, m.message.role, m.message.createdAt])).toEqual([
      [1, 'user', '2025-09-20T18:00:00Z'],
      [2, 'assistant', '2025-09-20T18:00:12Z'],
      [4, 'user', '2025-09-20T18:01:00+02:00'],
    ]);
    expect(read.messages.map((m) => m.message.key)).toEqual([
      expect.stringMatching(/^jsonl:1:[0-9a-f]{16}$/),
      expect.stringMatching(/^jsonl:2:/),
      expect.stringMatching(/^jsonl:3:/),
    ]);
    // The same file read again gives the same keys.
    const again = readAll(jsonlChatReader(limits), fixture('chat/chat.jsonl'));
    expect(again.messages.map((m) => m.message.key)).toEqual(read.messages.map((m) => m.message.key));
  });

  it('names the field of a bad line', () => {
    const read = readAll(
      jsonlChatReader(limits),
      ['{"role":"robot","content":"x"}', '{"role":"user"}', '{"role":"user","content":"hi","id":"m-7"}'].join('\n'),
    );
    expect(read.errors).toEqual([
      { line: 1, message: 'role: must be one of user, assistant, system, tool' },
      { line: 2, message: 'content: is required (a string)' },
    ]);
    expect(read.messages[0]?.message.key).toBe('jsonl:m-7');
  });
});

describe('Markdown chats', () => {
  it('splits at role headings only, outside code fences, with the time in parentheses', () => {
    const read = readAll(markdownChatReader(limits), fixture('chat/chat.md'));
    expect(read.facts.title).toBe('Sourdough starter care');
    expect(read.messages.map((m) => [m.line, m.message.role, m.message.createdAt])).toEqual([
      [5, 'user', '2025-09-20T18:00:00Z'],
      [9, 'assistant', '2025-09-20T18:00:12Z'],
      [23, 'user', undefined],
    ]);
    expect(read.messages[1]?.message.content).toBe(
      [
        'Feed it, let it rise for an hour, then refrigerate it in a sealed jar.',
        '',
        '```markdown',
        '## user',
        '',
        'this heading is inside a code block, so it is content',
        '```',
        '',
        '## Notes',
        '',
        'A "##" heading that names no role stays in the message.',
      ].join('\n'),
    );
    expect(read.messages[2]?.message.content).toBe('Can I freeze it instead?');
  });

  it('skips a heading with nothing under it', () => {
    const read = readAll(markdownChatReader(limits), '## user\n\n## assistant\nhello\n');
    expect(read.messages.map((m) => [m.line, m.message.role, m.message.content])).toEqual([[3, 'assistant', 'hello']]);
  });
});

describe('helpers', () => {
  it('projectFromCwd takes the last folder and makes it a valid project name', () => {
    expect(projectFromCwd('/home/dev/kayak-planner')).toBe('kayak-planner');
    expect(projectFromCwd('C:\\Users\\ana\\My Project\\')).toBe('My-Project');
    expect(projectFromCwd('/')).toBeUndefined();
    expect(projectFromCwd(undefined)).toBeUndefined();
  });

  it('clip keeps short text and cuts long text to the bound', () => {
    expect(clip('short', 10)).toBe('short');
    expect(clip('z'.repeat(500), 50)).toHaveLength(50);
  });

  it('clip makes tool output storable: no NUL, no lone surrogate, no pair split by the cut', () => {
    expect(clip('a\u0000b\ud800c', 100)).toBe('a\uFFFDb\uFFFDc');
    const cut = clip(`${'x'.repeat(20)}${'😀'.repeat(50)}`, 50);
    expect(findBadInput(cut)).toBeUndefined();
    expect(cut.length).toBeLessThanOrEqual(50);
  });
});
