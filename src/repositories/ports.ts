import type { Page } from '../domain/common.model.js';
import type { Message, MessageRole } from '../domain/message.model.js';
import type { Session, SessionStatus } from '../domain/session.model.js';

/**
 * The storage port. Every adapter (PostgreSQL, SQLite) implements it and passes the same contract
 * suite in tests/contract. Every method is scoped by tenant.
 */
export interface Store {
  readonly dialect: 'postgres' | 'sqlite';
  readonly sessions: SessionRepository;
  readonly messages: MessageRepository;
  /** Applies pending migrations; returns the names applied now. */
  migrate(): Promise<string[]>;
  /** Throws when the store cannot answer a trivial query. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface NewSession {
  id: string;
  tenantId: string;
  project: string;
  name: string;
  status: SessionStatus;
  metadata: Record<string, unknown>;
  createdAt: string;
}

export interface SessionChange {
  name?: string;
  status?: SessionStatus;
  /** Whole new metadata, already merged by the caller's `apply`. */
  metadata?: Record<string, unknown>;
  updatedAt: string;
}

export interface SessionListQuery {
  project?: string;
  status?: SessionStatus;
  createdAfter?: string;
  createdBefore?: string;
  sort: 'createdAt' | 'updatedAt';
  order: 'asc' | 'desc';
  limit: number;
  /** Keyset position: the sort value and id of the last item of the previous page. */
  after?: { value: string; id: string };
}

export interface SessionRepository {
  create(session: NewSession): Promise<Session>;
  get(tenantId: string, id: string): Promise<Session | undefined>;
  /**
   * Reads the row under a lock, lets `decide` compute the change from the current row (or throw),
   * and writes it in the same transaction. Returns undefined when the session does not exist.
   */
  update(tenantId: string, id: string, decide: (current: Session) => SessionChange): Promise<Session | undefined>;
  list(tenantId: string, query: SessionListQuery): Promise<Session[]>;
  /** Deletes the session and its messages; false when it did not exist. */
  delete(tenantId: string, id: string): Promise<boolean>;
}

export interface NewMessage {
  id: string;
  role: MessageRole;
  content: string;
  metadata: Record<string, unknown>;
  idempotencyKey: string | null;
  createdAt: string;
}

export interface AppendResult {
  /** One entry per input, in input order: the stored message, new or replayed. */
  messages: Message[];
  /** Per input: true when stored now, false when an earlier message had the same idempotency key. */
  created: boolean[];
}

export interface MessageListQuery {
  order: 'asc' | 'desc';
  limit: number;
  /** Exclusive seq bound in the direction of `order`. */
  afterSeq?: number;
}

export interface MessageRepository {
  /**
   * Appends messages to a session in one transaction, giving them the next gap-free seq numbers and
   * bumping the session's message count and updated_at. Messages whose idempotency key is already
   * stored in this session are not stored again. Throws NotFoundError for a missing session and
   * ConflictError for an archived one.
   */
  append(tenantId: string, sessionId: string, messages: NewMessage[], now: string): Promise<AppendResult>;
  list(tenantId: string, sessionId: string, query: MessageListQuery): Promise<Message[]>;
}

export type { Page };
