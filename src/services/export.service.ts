import type { Principal } from '../core/principal.js';
import type { Message } from '../domain/message.model.js';
import type { Session } from '../domain/session.model.js';
import type { MessageService } from './message.service.js';
import type { SessionService } from './session.service.js';

export type ExportFormat = 'json' | 'markdown';

export interface SessionExport {
  session: Session;
  contentType: string;
  /** File name suggested to clients (Content-Disposition). */
  fileName: string;
  /** The document in chunks, read a page of messages at a time. */
  chunks: AsyncGenerator<string>;
}

export class ExportService {
  constructor(
    private readonly sessions: SessionService,
    private readonly messages: MessageService,
  ) {}

  /** Resolves the session first, so a missing one fails before any byte is sent. */
  async exportSession(principal: Principal, sessionId: string, format: ExportFormat): Promise<SessionExport> {
    const session = await this.sessions.get(principal, sessionId);
    const messages = this.messages.all(principal, session.id);
    return format === 'json'
      ? {
          session,
          contentType: 'application/json; charset=utf-8',
          fileName: `session-${session.id}.json`,
          chunks: jsonChunks(session, messages),
        }
      : {
          session,
          contentType: 'text/markdown; charset=utf-8',
          fileName: `session-${session.id}.md`,
          chunks: markdownChunks(session, messages),
        };
  }

  /** The whole export as one string, for callers that need a value (MCP, CLI). */
  async exportToString(principal: Principal, sessionId: string, format: ExportFormat): Promise<string> {
    const { chunks } = await this.exportSession(principal, sessionId, format);
    let out = '';
    for await (const chunk of chunks) out += chunk;
    return out;
  }
}

async function* jsonChunks(session: Session, messages: AsyncIterable<Message>): AsyncGenerator<string> {
  const head = JSON.stringify({ format: 'session-buddy.session.v1', session });
  yield `${head.slice(0, -1)},"messages":[`;
  let first = true;
  for await (const m of messages) {
    yield (first ? '' : ',') + JSON.stringify(m);
    first = false;
  }
  yield ']}\n';
}

async function* markdownChunks(session: Session, messages: AsyncIterable<Message>): AsyncGenerator<string> {
  const lines = [
    `# ${escapeInline(session.name)}`,
    '',
    `- **Session:** \`${session.id}\``,
    `- **Project:** ${escapeInline(session.project)}`,
    `- **Status:** ${session.status}`,
    `- **Created:** ${session.createdAt}`,
    `- **Updated:** ${session.updatedAt}`,
    `- **Messages:** ${session.messageCount}`,
  ];
  if (Object.keys(session.metadata).length > 0) {
    lines.push('', '```json', JSON.stringify(session.metadata, null, 2), '```');
  }
  yield `${lines.join('\n')}\n`;
  for await (const m of messages) {
    const body = m.role === 'tool' ? fence(m.content) : m.content;
    yield `\n## ${m.seq}. ${m.role} — ${m.createdAt}\n\n${body}\n`;
  }
}

function escapeInline(text: string): string {
  return text.replace(/([\\`*_[\]#<>|])/g, '\\$1').replace(/\n/g, ' ');
}

/** Tool output (JSON, logs) is quoted verbatim in a fence longer than any backtick run inside it. */
function fence(content: string): string {
  const longest = Math.max(2, ...[...content.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = '`'.repeat(longest + 1);
  return `${ticks}text\n${content}\n${ticks}`;
}
