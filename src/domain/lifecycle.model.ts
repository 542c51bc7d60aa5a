import { z } from 'zod';
import { idSchema, metadataSchema, pageQuery, projectSchema } from './common.model.js';
import { messageOutputSchema } from './message.model.js';
import { reflectionOutputSchema } from './reflection.model.js';
import { sessionOutputSchema, workflowIdSchema } from './session.model.js';

// Session lifecycle (checkpoint, resume, end), session lineage in workflows, and orchestrator workflow state.

/** Where a session sits in an orchestration: the session that delegated it and the workflow it serves. */
export interface SessionLink {
  sessionId: string;
  parentSessionId: string | null;
  workflowId: string | null;
}

export interface Checkpoint {
  id: string;
  sessionId: string;
  tenantId: string;
  /** 1, 2, 3… per session, in the order taken. */
  seq: number;
  name: string;
  /** Free text chosen by the caller (`manual`, `milestone`, `quality_gate`, …); `final` is what end_session writes. */
  checkpointType: string;
  summary: string | null;
  openTasks: string[];
  files: string[];
  qualityScore: number | null;
  state: Record<string, unknown>;
  /** The session's message count when the checkpoint was taken: what it covers. */
  messageCount: number;
  idempotencyKey: string | null;
  createdAt: string;
}

export interface WorkflowState {
  workflowId: string;
  /** 1 for the first write, +1 on each write. */
  version: number;
  state: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

/** Limits of checkpoint documents: the state is bounded like metadata, lists by count and item length. */
export const CHECKPOINT_LIMITS = { listItems: 200, itemChars: 1_000, summaryChars: 20_000, stateBytes: 256_000 };

const textList = z.array(z.string().trim().min(1).max(CHECKPOINT_LIMITS.itemChars)).max(CHECKPOINT_LIMITS.listItems);

export function lifecycleSchemas(metadataBytes: number) {
  const state = metadataSchema(Math.max(metadataBytes, CHECKPOINT_LIMITS.stateBytes));
  const checkpointFields = {
    name: z.string().trim().min(1).max(200).optional().describe('Checkpoint name (default: "checkpoint N")'),
    checkpointType: z
      .string()
      .trim()
      .min(1)
      .max(100)
      .default('manual')
      .describe('Kind of checkpoint, free text: manual (default), milestone, quality_gate, …'),
    summary: z
      .string()
      .trim()
      .min(1)
      .max(CHECKPOINT_LIMITS.summaryChars)
      .optional()
      .describe('Summary so far (default: made from the session summary)'),
    openTasks: textList.optional().describe('Open tasks (default: the open items of the session summary)'),
    files: textList.optional().describe('Files in play (default: the files the session mentions most)'),
    qualityScore: z.number().min(0).max(100).optional().describe('Quality score, 0..100'),
    state: state.default({}).describe('Free-form workflow state (JSON object)'),
    idempotencyKey: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .describe('Makes retries safe: a repeated key returns the stored checkpoint'),
  };
  return {
    state,
    checkpoint: z.strictObject({ sessionId: idSchema, ...checkpointFields }),
    conversationCheckpoint: z.strictObject({
      sessionId: idSchema.optional().describe('Session to checkpoint (default: a new session is created)'),
      ...checkpointFields,
      checkpointType: z.string().trim().min(1).max(100).describe('Kind of checkpoint, free text'),
      content: z
        .string()
        .trim()
        .min(1)
        .max(CHECKPOINT_LIMITS.summaryChars)
        .optional()
        .describe('What the conversation reached (stored as the checkpoint summary)'),
      project: projectSchema.optional().describe('Project of the new session when session_id is not given'),
      workflowId: workflowIdSchema.optional(),
    }),
    listCheckpoints: z.strictObject({ sessionId: idSchema, ...pageQuery(200) }),
    resume: z.strictObject({
      sessionId: idSchema,
      recentMessages: z.coerce.number().int().min(0).max(200).default(20).describe('Recent messages returned'),
      reflections: z.coerce.number().int().min(0).max(50).default(5).describe('Related reflections returned'),
    }),
    end: z.strictObject({
      sessionId: idSchema,
      summary: checkpointFields.summary.describe('Final summary (default: made from the session summary)'),
      nextSteps: textList.optional().describe('What the next agent should do, in order'),
      openTasks: checkpointFields.openTasks,
      qualityScore: checkpointFields.qualityScore,
      state: checkpointFields.state,
    }),
    workflowSessions: z.strictObject({
      workflowId: workflowIdSchema,
      limit: z.coerce.number().int().min(1).max(500).default(100),
    }),
    storeWorkflowState: z.strictObject({
      workflowId: workflowIdSchema,
      state: state.describe('The whole workflow state (JSON object); replaces the stored one'),
      expectedVersion: z.coerce
        .number()
        .int()
        .min(0)
        .optional()
        .describe('Write only if the stored version is this (0: only if none is stored); else conflict'),
    }),
    getWorkflowState: z.strictObject({ workflowId: workflowIdSchema }),
  };
}

export type LifecycleSchemas = ReturnType<typeof lifecycleSchemas>;
export type CheckpointInput = z.output<LifecycleSchemas['checkpoint']>;
export type ConversationCheckpointInput = z.output<LifecycleSchemas['conversationCheckpoint']>;
export type ResumeInput = z.output<LifecycleSchemas['resume']>;
export type EndInput = z.output<LifecycleSchemas['end']>;

export const checkpointOutputSchema = z.object({
  id: z.string(),
  sessionId: z.string(),
  tenantId: z.string(),
  seq: z.number().int(),
  name: z.string(),
  checkpointType: z.string(),
  summary: z.string().nullable(),
  openTasks: z.array(z.string()),
  files: z.array(z.string()),
  qualityScore: z.number().nullable(),
  state: z.record(z.string(), z.unknown()),
  messageCount: z.number().int(),
  idempotencyKey: z.string().nullable(),
  createdAt: z.string(),
});

export const linkedSessionSchema = sessionOutputSchema.extend({
  parentSessionId: z.string().nullable(),
  workflowId: z.string().nullable(),
});

export const workflowStateOutputSchema = z.object({
  workflowId: z.string(),
  version: z.number().int(),
  state: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const resumeOutputSchema = z.object({
  session: linkedSessionSchema,
  lastCheckpoint: checkpointOutputSchema.nullable(),
  summary: z.object({
    goal: z.string().nullable(),
    decisions: z.array(z.string()),
    outcome: z.string().nullable(),
    text: z.string(),
  }),
  openTasks: z.array(z.string()),
  files: z.array(z.string()),
  recentMessages: z.array(messageOutputSchema),
  relatedReflections: z.array(reflectionOutputSchema),
  childSessions: z.array(linkedSessionSchema),
});

export const endOutputSchema = z.object({
  session: sessionOutputSchema,
  checkpoint: checkpointOutputSchema,
  handoff: z.string().describe('Markdown hand-off document for the next agent'),
});
