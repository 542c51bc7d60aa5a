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

/** An export as one value of bounded size (MCP, CLI): whole messages only, `truncated` when some were left out. */
export interface BoundedSessionExport {
  document: string;
  /** Messages in the document. */
  messages: number;
  /** Messages of the session, in the document or not. */
  totalMessages: number;
  truncated: boolean;
}

export interface ExportOptions {
  /**
   * Characters of message content read from the store per page at most (`limits.messageContentChars` times the
   * messages of a page): an export holds one page at a time, whatever the size of the session. (Default: 4,000,000)
   */
  pageChars?: number;
  /** Largest message content (`limits.messageContentChars`). (Default: 200,000) */
  messageContentChars?: number;
}

/** A document as its head, one entry per message, and its end (which says when messages were left out). */
interface Layout {
  head: string;
  entry(message: Message, index: number): string;
  foot(shown: number, total: number, truncated: boolean): string;
}

export class ExportService {
  private readonly pageSize: number;

  constructor(
    private readonly sessions: SessionService,
    private readonly messages: MessageService,
    options: ExportOptions = {},
  ) {
    const pageChars = options.pageChars ?? 4_000_000;
    this.pageSize = Math.max(1, Math.min(500, Math.floor(pageChars / (options.messageContentChars ?? 200_000))));
  }

  /** Resolves the session first, so a missing one fails before any byte is sent. */
  async exportSession(principal: Principal, sessionId: string, format: ExportFormat): Promise<SessionExport> {
    const session = await this.sessions.get(principal, sessionId);
    const layout = format === 'json' ? jsonLayout(session) : markdownLayout(session);
    const messages = this.messages.all(principal, session.id, this.pageSize);
    return {
      session,
      contentType: format === 'json' ? 'application/json; charset=utf-8' : 'text/markdown; charset=utf-8',
      fileName: `session-${session.id}.${format === 'json' ? 'json' : 'md'}`,
      chunks: chunksOf(layout, messages),
    };
  }

  /**
   * The export as one string of at most `maxChars` characters (more only when the session's own header is larger),
   * for callers that need a value (MCP, CLI). Whole messages only: the first one that does not fit ends the
   * document, which stays well-formed (valid JSON with `"truncated": true`, or a Markdown note). Messages past the
   * cut are not read.
   */
  async exportBounded(
    principal: Principal,
    sessionId: string,
    format: ExportFormat,
    maxChars: number,
  ): Promise<BoundedSessionExport> {
    const session = await this.sessions.get(principal, sessionId);
    const layout = format === 'json' ? jsonLayout(session) : markdownLayout(session);
    const total = session.messageCount;
    // Room kept for the longest ending, so a cut document still fits.
    const footRoom = layout.foot(total, total, true).length;
    let document = layout.head;
    let shown = 0;
    for await (const message of this.messages.all(principal, session.id, this.pageSize)) {
      const entry = layout.entry(message, shown);
      if (document.length + entry.length + footRoom > maxChars) {
        return {
          document: document + layout.foot(shown, total, true),
          messages: shown,
          totalMessages: total,
          truncated: true,
        };
      }
      document += entry;
      shown++;
    }
    return {
      document: document + layout.foot(shown, total, false),
      messages: shown,
      totalMessages: total,
      truncated: false,
    };
  }
}

/** The first page is read before the head is produced: a failure then is an error answer, not a truncated file. */
async function* chunksOf(layout: Layout, messages: AsyncIterable<Message>): AsyncGenerator<string> {
  const it = messages[Symbol.asyncIterator]();
  let next = await it.next();
  yield layout.head;
  let index = 0;
  while (!next.done) {
    yield layout.entry(next.value, index++);
    next = await it.next();
  }
  yield layout.foot(index, index, false);
}

function jsonLayout(session: Session): Layout {
  const head = JSON.stringify({ format: 'session-buddy.session.v1', session });
  return {
    head: `${head.slice(0, -1)},"messages":[`,
    entry: (m, index) => (index === 0 ? '' : ',') + JSON.stringify(m),
    foot: (_shown, _total, truncated) => (truncated ? '],"truncated":true}\n' : ']}\n'),
  };
}

function markdownLayout(session: Session): Layout {
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
  return {
    head: `${lines.join('\n')}\n`,
    entry: (m) => `\n## ${m.seq}. ${m.role} — ${m.createdAt}\n\n${m.role === 'tool' ? fence(m.content) : m.content}\n`,
    foot: (shown, total, truncated) =>
      truncated
        ? `\n---\n\n_Truncated: ${shown} of ${total} messages shown (max_chars); ` +
          'GET /v1/sessions/:id/export streams the whole session._\n'
        : '',
  };
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
