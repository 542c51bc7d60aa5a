import { z } from 'zod';
import type { Config } from '../config/config.schema.js';
import { idSchema, metadataSchema, pageQuery, projectSchema, timestampSchema } from './common.model.js';

export const SESSION_STATUSES = ['active', 'ended', 'archived'] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];

export interface Session {
  id: string;
  tenantId: string;
  project: string;
  name: string;
  status: SessionStatus;
  metadata: Record<string, unknown>;
  messageCount: number;
  createdAt: string;
  updatedAt: string;
}

/** Allowed status changes; anything else is a 409. Archived sessions can be restored to ended. */
export const STATUS_TRANSITIONS: Record<SessionStatus, readonly SessionStatus[]> = {
  active: ['ended', 'archived'],
  ended: ['active', 'archived'],
  archived: ['ended'],
};

export const DEFAULT_PROJECT = 'default';

/** The project a client named in metadata (the original system's `{"metadata": {"project": …}}`), if valid. */
export function projectFromMetadata(metadata: Record<string, unknown>): string | undefined {
  const parsed = projectSchema.safeParse(metadata.project);
  return parsed.success ? parsed.data : undefined;
}

export const workflowIdSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[\w.\-/@:]+$/, 'may contain letters, digits and . _ - / @ : only')
  .describe('Id of the orchestrator workflow (chosen by the orchestrator)');

export function sessionSchemas(limits: Config['limits']) {
  const metadata = metadataSchema(limits.metadataBytes);
  const create = z.strictObject({
    name: z.string().trim().min(1).max(200),
    /** (Default: `metadata.project` when that is a valid project name, else "default") */
    project: projectSchema.optional(),
    metadata: metadata.default({}),
    /** A session delegated by another (a sub-agent, another project): see resume_session, list_workflow_sessions. */
    parentSessionId: idSchema.optional().describe('Session that delegated this one (inherits its workflow, project)'),
    workflowId: workflowIdSchema.optional(),
  });
  const update = z
    .strictObject({
      name: z.string().trim().min(1).max(200).optional(),
      status: z.enum(SESSION_STATUSES).optional(),
      /** JSON Merge Patch applied to the stored metadata: null removes a key. */
      metadata: z.record(z.string().max(200), z.unknown()).optional(),
    })
    .refine((v) => v.name !== undefined || v.status !== undefined || v.metadata !== undefined, {
      message: 'must change at least one of name, status, metadata',
    });
  const list = z.strictObject({
    project: projectSchema.optional(),
    status: z.enum(SESSION_STATUSES).optional(),
    createdAfter: timestampSchema.optional(),
    createdBefore: timestampSchema.optional(),
    sort: z.enum(['createdAt', 'updatedAt']).default('createdAt'),
    order: z.enum(['asc', 'desc']).default('desc'),
    ...pageQuery(limits.pageSize),
  });
  return { create, update, list, metadata };
}

export type SessionSchemas = ReturnType<typeof sessionSchemas>;
export type CreateSessionInput = z.output<SessionSchemas['create']>;
export type UpdateSessionInput = z.output<SessionSchemas['update']>;
export type ListSessionsQuery = z.output<SessionSchemas['list']>;

/** The shape of a session in responses (OpenAPI, MCP output schemas). */
export const sessionOutputSchema = z.object({
  id: z.string(),
  tenantId: z.string(),
  project: z.string(),
  name: z.string(),
  status: z.enum(SESSION_STATUSES),
  metadata: z.record(z.string(), z.unknown()),
  messageCount: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const sessionPageSchema = z.object({
  items: z.array(sessionOutputSchema),
  nextCursor: z.string().nullable(),
});
