import type { Message, MessageRole } from '../../domain/message.model.js';
import type { Session } from '../../domain/session.model.js';
import type { SessionSummary } from '../../domain/summary.model.js';
import { errorLines } from '../pattern-detection/error-signature.js';

export type { SessionSummary };

const LIMITS = { decisions: 10, files: 30, commands: 20, errors: 10, openItems: 10, opening: 300, tail: 6 };
const DECISION =
  /\b(?:decided|decision|we(?:'ll| will) use|let's use|chose|choose|going with|go with|switch(?:ed)? to|settled on|instead of)\b/i;
const PATH =
  /(?<![\w@/.-])(?:\.{0,2}\/)?(?:[\w@.-]+\/)+[\w@.-]+\.[A-Za-z0-9]{1,8}\b|(?<![\w/.-])[\w-]+\.(?:ts|tsx|js|mjs|cjs|py|go|rs|java|rb|sql|md|json|ya?ml|toml|sh|css|html)\b/g;
const COMMAND = /^\s*\$\s+(\S.{0,199})$/;
const COMMAND_WORD =
  /^(?:npm|npx|pnpm|yarn|node|git|docker|kubectl|make|cargo|go|python3?|pip|pytest|uv|bash|sh|curl|psql|redis-cli|session-buddy)\b/;
const TODO = /\b(?:TODO|FIXME|XXX)\b[:\s-]*(.{3,200})/;

/** Folds messages (in seq order) into a summary; a session of any length costs one pass. */
export class SummaryBuilder {
  private goal: string | null = null;
  private outcome: string | null = null;
  private readonly decisions: string[] = [];
  private readonly files = new Map<string, number>();
  private readonly commands = new Set<string>();
  private readonly errors = new Map<string, { line: string; count: number }>();
  private readonly todos: string[] = [];
  private readonly tail: Message[] = [];
  private readonly byRole: Record<MessageRole, number> = { user: 0, assistant: 0, system: 0, tool: 0 };
  private messages = 0;
  private chars = 0;
  private first: string | null = null;
  private last: string | null = null;

  constructor(private readonly session: Session) {}

  add(m: Message): void {
    this.messages++;
    this.chars += m.content.length;
    this.byRole[m.role]++;
    this.first ??= m.createdAt;
    this.last = m.createdAt;
    if (m.role === 'user' && this.goal === null) this.goal = opening(m.content);
    if (m.role === 'assistant') this.outcome = opening(m.content);
    for (const sentence of sentences(m.content)) {
      if (this.decisions.length < LIMITS.decisions && DECISION.test(sentence) && !sentence.endsWith('?')) {
        if (!this.decisions.includes(sentence)) this.decisions.push(sentence);
      }
    }
    for (const match of m.content.matchAll(PATH)) {
      const path = match[0].replace(/^\.\//, '');
      this.files.set(path, (this.files.get(path) ?? 0) + 1);
    }
    this.collectCommands(m);
    for (const e of errorLines(m.content)) {
      const seen = this.errors.get(e.signature);
      if (seen) seen.count++;
      else this.errors.set(e.signature, { line: e.line, count: 1 });
    }
    for (const line of m.content.split('\n')) {
      const todo = TODO.exec(line);
      if (todo?.[1] && this.todos.length < LIMITS.openItems) this.todos.push(`TODO ${todo[1].trim()}`);
    }
    this.tail.push(m);
    if (this.tail.length > LIMITS.tail) this.tail.shift();
  }

  build(): SessionSummary {
    const firstMs = this.first ? Date.parse(this.first) : 0;
    const lastMs = this.last ? Date.parse(this.last) : 0;
    return {
      sessionId: this.session.id,
      project: this.session.project,
      name: this.session.name,
      status: this.session.status,
      goal: this.goal,
      decisions: this.decisions,
      filesTouched: [...this.files]
        .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
        .slice(0, LIMITS.files)
        .map(([path, mentions]) => ({ path, mentions })),
      commands: [...this.commands].slice(0, LIMITS.commands),
      errors: [...this.errors.values()].sort((a, b) => b.count - a.count).slice(0, LIMITS.errors),
      openItems: [...this.todos, ...this.openQuestions()].slice(0, LIMITS.openItems),
      outcome: this.outcome,
      counts: { messages: this.messages, chars: this.chars, byRole: { ...this.byRole } },
      startedAt: this.first,
      lastMessageAt: this.last,
      durationSeconds: Math.max(0, Math.round((lastMs - firstMs) / 1000)),
    };
  }

  private collectCommands(m: Message): void {
    const lines = m.content.split('\n');
    for (const line of lines) {
      const command = COMMAND.exec(line)?.[1]?.trim();
      if (command && this.commands.size < LIMITS.commands) this.commands.add(command);
    }
    const firstLine = lines[0]?.trim() ?? '';
    if (m.role === 'tool' && COMMAND_WORD.test(firstLine) && this.commands.size < LIMITS.commands) {
      this.commands.add(firstLine.slice(0, 200));
    }
  }

  /** Questions in the last messages that no later message followed up. */
  private openQuestions(): string[] {
    const last = this.tail[this.tail.length - 1];
    if (!last) return [];
    return sentences(last.content).filter((s) => s.endsWith('?'));
  }
}

function opening(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  const first = sentences(flat).slice(0, 2).join(' ') || flat;
  return first.length > LIMITS.opening ? `${first.slice(0, LIMITS.opening - 1)}…` : first;
}

function sentences(text: string): string[] {
  return text
    .split(/(?<=[.!?])\s+|\n+/)
    .map((s) => s.replace(/\s+/g, ' ').trim())
    .filter((s) => s.length >= 8 && s.length <= 400);
}
