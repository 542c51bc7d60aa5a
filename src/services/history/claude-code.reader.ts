import type { MessageRole } from '../../domain/message.model.js';
import { LineError, parseLine } from '../transfer/import-records.js';
import {
  clip,
  type HistoryMessage,
  type HistoryReader,
  type RenderLimits,
  type SessionFacts,
} from './history-records.js';

type Json = Record<string, unknown>;

/**
 * Claude Code transcripts (`~/.claude/projects/<encoded cwd>/<sessionId>.jsonl`), as the files look: one JSON
 * object per line with `type`, `uuid`, `parentUuid`, `sessionId`, `timestamp`, `cwd`, `gitBranch`, `version`,
 * `isSidechain`, and for conversation lines `message: {role, content}` where content is a string or blocks
 * (`text`, `tool_use`, `tool_result`, `thinking`, `image`). Mapping:
 * - `user` with text → role user; `user` whose blocks are tool results → role tool; `assistant` → assistant;
 *   `system` (top-level `content`) → system. Thinking blocks are left out (private reasoning, often redacted);
 *   tool calls and results are rendered as readable text, each bounded by RenderLimits.toolChars.
 * - `isMeta` user lines (caveats injected by the client), lines with nothing left to say, `summary`,
 *   `file-history-snapshot`, `queue-operation` and any other type are skipped; a `summary` names the session.
 * - The key is the line's `uuid`; the time its `timestamp`. Agent transcripts (lines with `agentId`) are a
 *   session of their own: source id `<sessionId>:agent-<agentId>`.
 */
export function claudeCodeReader(limits: RenderLimits): HistoryReader {
  return {
    read(text, line) {
      if (text.trim() === '') return { messages: [] };
      const value = parseLine(text) as Json;
      const type = value.type;
      if (type === 'summary') {
        return typeof value.summary === 'string' && value.summary.trim() !== ''
          ? { messages: [], facts: { title: value.summary.trim() }, skipped: true }
          : { messages: [], skipped: true };
      }
      if (type !== 'user' && type !== 'assistant' && type !== 'system') return { messages: [], skipped: true };
      const facts = factsOf(value);
      const uuid = value.uuid;
      if (typeof uuid !== 'string' || uuid === '') throw new LineError('uuid: is required (a string)');
      if (typeof value.timestamp !== 'string') throw new LineError('timestamp: is required (an ISO 8601 date-time)');
      if (value.isMeta === true) return { messages: [], facts, skipped: true };
      const rendered = type === 'system' ? systemText(value) : conversationText(value, type, limits);
      if (!rendered || rendered.content.trim() === '') return { messages: [], facts, skipped: true };
      const message: HistoryMessage = {
        key: `claude-code:${uuid}`,
        role: rendered.role,
        content: clip(rendered.content, limits.messageChars),
        createdAt: value.timestamp,
        metadata: metadataOf(value, uuid, rendered.tools),
      };
      return { messages: [{ line, message }], facts };
    },
    end: () => ({ messages: [] }),
  };
}

interface Rendered {
  role: MessageRole;
  content: string;
  /** Names of the tools called. */
  tools?: string[];
}

function conversationText(value: Json, type: 'user' | 'assistant', limits: RenderLimits): Rendered | undefined {
  const message = value.message;
  if (typeof message !== 'object' || message === null || Array.isArray(message)) {
    throw new LineError('message: is required (an object with role and content)');
  }
  const content = (message as Json).content;
  if (typeof content === 'string') return { role: type, content };
  if (!Array.isArray(content)) throw new LineError('message.content: must be a string or an array of blocks');
  const parts: string[] = [];
  const tools: string[] = [];
  let results = 0;
  content.forEach((block: unknown, i) => {
    if (typeof block !== 'object' || block === null) throw new LineError(`message.content.${i}: must be an object`);
    const b = block as Json;
    switch (b.type) {
      case 'text':
        if (typeof b.text === 'string' && b.text.trim() !== '') parts.push(b.text);
        break;
      case 'tool_use': {
        const name = typeof b.name === 'string' ? b.name : 'tool';
        tools.push(name);
        parts.push(`[tool call: ${name}] ${clip(JSON.stringify(b.input ?? {}), limits.toolChars)}`);
        break;
      }
      case 'tool_result':
        results++;
        parts.push(
          `[${b.is_error === true ? 'tool error' : 'tool result'}] ${clip(resultText(b.content), limits.toolChars)}`,
        );
        break;
      case 'image':
        parts.push('[image]');
        break;
      default:
        // thinking, redacted_thinking and blocks of later versions: nothing to keep.
        break;
    }
  });
  const role: MessageRole = type === 'user' && results > 0 ? 'tool' : type;
  return { role, content: parts.join('\n\n'), ...(tools.length > 0 ? { tools } : {}) };
}

/** A tool result's content: a string, or blocks of text (and images, named only). */
function resultText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return content === undefined || content === null ? '' : JSON.stringify(content);
  return content
    .map((c: unknown) => {
      const b = (c ?? {}) as Json;
      if (b.type === 'text' && typeof b.text === 'string') return b.text;
      return b.type === 'image' ? '[image]' : '';
    })
    .filter((t) => t !== '')
    .join('\n');
}

function systemText(value: Json): Rendered | undefined {
  return typeof value.content === 'string' ? { role: 'system', content: value.content } : undefined;
}

function factsOf(value: Json): SessionFacts {
  const facts: SessionFacts = {};
  if (typeof value.sessionId === 'string' && value.sessionId !== '') {
    facts.sourceId =
      typeof value.agentId === 'string' && value.agentId !== ''
        ? `${value.sessionId}:agent-${value.agentId}`
        : value.sessionId;
  }
  if (typeof value.cwd === 'string' && value.cwd !== '') facts.cwd = value.cwd;
  if (typeof value.gitBranch === 'string' && value.gitBranch !== '') facts.gitBranch = value.gitBranch;
  return facts;
}

function metadataOf(value: Json, uuid: string, tools: string[] | undefined): Record<string, unknown> {
  const metadata: Record<string, unknown> = { source: 'claude-code', uuid };
  if (typeof value.parentUuid === 'string') metadata.parentUuid = value.parentUuid;
  if (value.isSidechain === true) metadata.sidechain = true;
  const model = (value.message as Json | undefined)?.model;
  if (typeof model === 'string') metadata.model = model;
  if (tools) metadata.tools = tools;
  return metadata;
}
