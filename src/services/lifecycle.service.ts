import { decodeCursor, encodeCursor } from '../core/cursor.js';
import { ConflictError, NotFoundError } from '../core/errors.js';
import { uuidv7 } from '../core/ids.js';
import type { Logger } from '../core/logger.js';
import type { Principal } from '../core/principal.js';
import type { Page } from '../domain/common.model.js';
import type {
  Checkpoint,
  CheckpointInput,
  ConversationCheckpointInput,
  EndInput,
  ResumeInput,
  SessionLink,
  WorkflowState,
} from '../domain/lifecycle.model.js';
import type { Message } from '../domain/message.model.js';
import type { Reflection } from '../domain/reflection.model.js';
import { reflectionSearchSchema } from '../domain/search.model.js';
import {
  type CreateSessionInput,
  DEFAULT_PROJECT,
  projectFromMetadata,
  type Session,
} from '../domain/session.model.js';
import type { SessionSummary } from '../domain/summary.model.js';
import type { LifecycleRepository } from '../repositories/lifecycle.port.js';
import { renderHandoff, summaryText } from './lifecycle/handoff.js';
import type { MessageService } from './message.service.js';
import type { SearchService } from './search.service.js';
import type { SessionService } from './session.service.js';
import type { SummaryService } from './summary.service.js';

export type LinkedSessionView = Session & { parentSessionId: string | null; workflowId: string | null };

export interface CreateLinkedSessionInput extends CreateSessionInput {
  parentSessionId?: string;
  workflowId?: string;
}

export interface ResumeAnswer {
  session: LinkedSessionView;
  lastCheckpoint: Checkpoint | null;
  summary: { goal: string | null; decisions: string[]; outcome: string | null; text: string };
  openTasks: string[];
  files: string[];
  recentMessages: Message[];
  relatedReflections: Reflection[];
  childSessions: LinkedSessionView[];
}

export interface EndAnswer {
  session: Session;
  checkpoint: Checkpoint;
  handoff: string;
}

export interface LifecycleDeps {
  sessions: SessionService;
  messages: MessageService;
  summaries: SummaryService;
  search: SearchService;
  logger?: Logger;
  clock?: () => Date;
}

const FILES_IN_CHECKPOINT = 20;
const NO_LINK = { parentSessionId: null, workflowId: null };

/**
 * The session lifecycle an orchestrator drives: sessions delegated inside a workflow, checkpoints with state,
 * resume (what a new agent needs to continue), end with a hand-off, and versioned workflow state.
 */
export class LifecycleService {
  private readonly clock: () => Date;

  constructor(
    private readonly repo: LifecycleRepository,
    private readonly deps: LifecycleDeps,
  ) {
    this.clock = deps.clock ?? (() => new Date());
  }

  /**
   * create_session: a plain session, or one delegated by `parentSessionId` and/or serving `workflowId`. A child
   * inherits its parent's workflow and project unless it names its own.
   */
  async createSession(principal: Principal, input: CreateLinkedSessionInput): Promise<Session> {
    const { parentSessionId, workflowId, ...data } = input;
    if (parentSessionId === undefined && workflowId === undefined) return this.deps.sessions.create(principal, data);
    const parent = parentSessionId ? await this.deps.sessions.get(principal, parentSessionId) : undefined;
    const parentLink = parent ? await this.repo.getLink(principal.tenantId, parent.id) : undefined;
    return this.repo.createLinkedSession(
      {
        id: uuidv7(),
        tenantId: principal.tenantId,
        project: data.project ?? projectFromMetadata(data.metadata) ?? parent?.project ?? DEFAULT_PROJECT,
        name: data.name,
        status: 'active',
        metadata: data.metadata,
        createdAt: this.clock().toISOString(),
      },
      { parentSessionId: parent?.id ?? null, workflowId: workflowId ?? parentLink?.workflowId ?? null },
    );
  }

  async checkpoint(
    principal: Principal,
    input: CheckpointInput,
  ): Promise<{ checkpoint: Checkpoint; created: boolean }> {
    const session = await this.activeSession(principal, input.sessionId, 'checkpoint');
    const needsSummary = input.summary === undefined || input.openTasks === undefined || input.files === undefined;
    const summary = needsSummary ? await this.deps.summaries.summarize(principal, session.id) : undefined;
    return this.store(principal, session, {
      name: input.name,
      checkpointType: input.checkpointType,
      summary: input.summary ?? (summary ? summaryText(summary) : null),
      openTasks: input.openTasks ?? summary?.openItems ?? [],
      files: input.files ?? filesOf(summary),
      qualityScore: input.qualityScore ?? null,
      state: input.state,
      idempotencyKey: input.idempotencyKey ?? null,
    });
  }

  /** Mahavishnu's call: checkpoint a session, or a new one (named after the checkpoint) when none is given. */
  async storeConversationCheckpoint(
    principal: Principal,
    input: ConversationCheckpointInput,
  ): Promise<{ checkpoint: Checkpoint; created: boolean }> {
    const { content, project, workflowId, ...rest } = input;
    let sessionId = input.sessionId;
    if (sessionId === undefined) {
      const session = await this.createSession(principal, {
        name: input.name ?? `${input.checkpointType} checkpoint`,
        project,
        metadata: { source: 'store_conversation_checkpoint' },
        workflowId,
      });
      sessionId = session.id;
    }
    return this.checkpoint(principal, { ...rest, sessionId, summary: input.summary ?? content });
  }

  async listCheckpoints(
    principal: Principal,
    q: { sessionId: string; limit: number; cursor?: string },
  ): Promise<Page<Checkpoint>> {
    await this.deps.sessions.get(principal, q.sessionId);
    const before = q.cursor ? decodeCursor(q.cursor, isSeqCursor).seq : undefined;
    const items = await this.repo.listCheckpoints(principal.tenantId, q.sessionId, q.limit + 1, before);
    const page = items.slice(0, q.limit);
    const last = page[page.length - 1];
    return { items: page, nextCursor: items.length > q.limit && last ? encodeCursor({ seq: last.seq }) : null };
  }

  async resume(principal: Principal, q: ResumeInput): Promise<ResumeAnswer> {
    const session = await this.deps.sessions.get(principal, q.sessionId);
    const [link, [lastCheckpoint], summary, children] = await Promise.all([
      this.repo.getLink(principal.tenantId, session.id),
      this.repo.listCheckpoints(principal.tenantId, session.id, 1),
      this.deps.summaries.summarize(principal, session.id),
      this.repo.listLinked(principal.tenantId, { parentSessionId: session.id }, 100),
    ]);
    const recent =
      q.recentMessages > 0
        ? (await this.deps.messages.list(principal, session.id, { order: 'desc', limit: q.recentMessages })).items
        : [];
    return {
      session: view(session, link),
      lastCheckpoint: lastCheckpoint ?? null,
      summary: {
        goal: summary.goal,
        decisions: summary.decisions,
        outcome: summary.outcome,
        text: summaryText(summary),
      },
      openTasks: lastCheckpoint?.openTasks.length ? lastCheckpoint.openTasks : summary.openItems,
      files: lastCheckpoint?.files.length ? lastCheckpoint.files : filesOf(summary),
      recentMessages: recent.reverse(),
      relatedReflections: await this.relatedReflections(principal, session, summary, q.reflections),
      childSessions: children.map((c) => view(c.session, c.link)),
    };
  }

  /** Final checkpoint (type `final`), status ended, and the hand-off document. Ending twice adds a new hand-off. */
  async end(principal: Principal, input: EndInput): Promise<EndAnswer> {
    const session = await this.activeSession(principal, input.sessionId, 'end');
    const summary = await this.deps.summaries.summarize(principal, session.id);
    const { checkpoint } = await this.store(principal, session, {
      name: 'end',
      checkpointType: 'final',
      summary: input.summary ?? summaryText(summary),
      openTasks: input.openTasks ?? summary.openItems,
      files: filesOf(summary),
      qualityScore: input.qualityScore ?? null,
      state: { ...input.state, ...(input.nextSteps ? { nextSteps: input.nextSteps } : {}) },
      idempotencyKey: null,
    });
    const ended =
      session.status === 'ended'
        ? session
        : await this.deps.sessions.update(principal, session.id, { status: 'ended' });
    const link = await this.repo.getLink(principal.tenantId, session.id);
    const handoff = renderHandoff({
      session: ended,
      checkpoint,
      summary,
      nextSteps: input.nextSteps ?? [],
      ...(link ?? NO_LINK),
    });
    return { session: ended, checkpoint, handoff };
  }

  /** Every session of a workflow, across projects, oldest first, with its parent. */
  async workflowSessions(principal: Principal, workflowId: string, limit: number): Promise<LinkedSessionView[]> {
    const rows = await this.repo.listLinked(principal.tenantId, { workflowId }, limit);
    return rows.map((r) => view(r.session, r.link));
  }

  async getWorkflowState(principal: Principal, workflowId: string): Promise<WorkflowState> {
    const state = await this.repo.getWorkflowState(principal.tenantId, workflowId);
    if (!state) throw new NotFoundError('workflow state', workflowId);
    return state;
  }

  async storeWorkflowState(
    principal: Principal,
    input: { workflowId: string; state: Record<string, unknown>; expectedVersion?: number },
  ): Promise<WorkflowState> {
    const result = await this.repo.putWorkflowState(
      principal.tenantId,
      input.workflowId,
      input.state,
      input.expectedVersion,
      this.clock().toISOString(),
    );
    if (result.ok) return result.state;
    throw new ConflictError(
      `workflow '${input.workflowId}' is at version ${result.currentVersion}, not ${input.expectedVersion}: ` +
        'read it again (get_workflow_state) and retry with that version',
    );
  }

  private async activeSession(principal: Principal, id: string, action: string): Promise<Session> {
    const session = await this.deps.sessions.get(principal, id);
    if (session.status === 'archived') throw new ConflictError(`session '${id}' is archived: cannot ${action} it`);
    return session;
  }

  private async store(
    principal: Principal,
    session: Session,
    c: Omit<Checkpoint, 'id' | 'sessionId' | 'tenantId' | 'seq' | 'messageCount' | 'createdAt' | 'name'> & {
      name: string | undefined;
    },
  ): Promise<{ checkpoint: Checkpoint; created: boolean }> {
    const stored = await this.repo.addCheckpoint({
      ...c,
      name: c.name ?? null,
      id: uuidv7(),
      sessionId: session.id,
      tenantId: principal.tenantId,
      createdAt: this.clock().toISOString(),
    });
    if (!stored) throw new NotFoundError('session', session.id);
    return stored;
  }

  private async relatedReflections(
    principal: Principal,
    session: Session,
    summary: SessionSummary,
    limit: number,
  ): Promise<Reflection[]> {
    if (limit === 0) return [];
    const q = [session.name, summary.goal ?? ''].join(' ').trim().slice(0, 1_000);
    try {
      const query = reflectionSearchSchema.parse({ q, project: session.project, limit });
      return (await this.deps.search.searchReflections(principal, query)).items.map((hit) => hit.item);
    } catch (error) {
      // Related reflections are a help, not the answer: a failed search leaves them out.
      this.deps.logger?.warn({ err: error, sessionId: session.id }, 'resume_session: related reflections failed');
      return [];
    }
  }
}

function view(session: Session, link: SessionLink | undefined): LinkedSessionView {
  return {
    ...session,
    parentSessionId: link?.parentSessionId ?? null,
    workflowId: link?.workflowId ?? null,
  };
}

function filesOf(summary: SessionSummary | undefined): string[] {
  return (summary?.filesTouched ?? []).slice(0, FILES_IN_CHECKPOINT).map((f) => f.path);
}

function isSeqCursor(value: Record<string, unknown>): value is { seq: number } {
  return Number.isInteger(value.seq) && (value.seq as number) > 0;
}
