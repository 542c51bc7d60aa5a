import { z } from 'zod';
import type { Config } from '../config/config.schema.js';
import {
  checkpointOutputSchema,
  endOutputSchema,
  lifecycleSchemas,
  linkedSessionSchema,
  resumeOutputSchema,
  workflowStateOutputSchema,
} from '../domain/lifecycle.model.js';
import { CREATE, defineOperation, moreNote, type Operation, READ, UPDATE } from './operation.js';

const byId = { id: 'sessionId' };
const byWorkflow = { workflowId: 'workflowId' };
const stored = z.object({ checkpoint: checkpointOutputSchema, created: z.boolean() });
const checkpointResponses = {
  201: { description: 'Stored', schema: stored },
  200: { description: 'Replay of an earlier request with the same idempotency key', schema: stored },
};

/** Session lifecycle (checkpoint, resume, end), workflow lineage and workflow state: what an orchestrator drives. */
export function lifecycleOperations(limits: Config['limits']): Operation[] {
  const schemas = lifecycleSchemas(limits.metadataBytes);
  return [
    defineOperation({
      name: 'checkpoint_session',
      title: 'Checkpoint session',
      description:
        'Record a named checkpoint of a session: summary so far, open tasks, files, quality score and free-form ' +
        'workflow state. What is not given is taken from the session summary. Checkpoints are numbered per session ' +
        '(seq); resume_session returns the last one.',
      input: schemas.checkpoint,
      output: stored,
      annotations: CREATE,
      scope: 'write',
      rest: {
        method: 'post',
        path: '/v1/sessions/:id/checkpoints',
        operationId: 'checkpointSession',
        tag: 'lifecycle',
        params: byId,
        responses: checkpointResponses,
        respond: (c, result) => c.json(result, result.created ? 201 : 200),
      },
      run: ({ services, principal }, input) => services.lifecycle.checkpoint(principal, input),
      summary: ({ checkpoint: c, created }) =>
        `${created ? 'Stored' : 'Already stored:'} checkpoint #${c.seq} '${c.name}' (${c.checkpointType}) of session ${c.sessionId}.`,
    }),
    defineOperation({
      name: 'list_checkpoints',
      title: 'List checkpoints',
      description:
        'The checkpoints of a session, newest first. When next_cursor is not null, call again with cursor set to it.',
      input: schemas.listCheckpoints,
      output: z.object({ items: z.array(checkpointOutputSchema), nextCursor: z.string().nullable() }),
      annotations: READ,
      scope: 'read',
      rest: {
        method: 'get',
        path: '/v1/sessions/:id/checkpoints',
        operationId: 'listCheckpoints',
        tag: 'lifecycle',
        params: byId,
      },
      run: ({ services, principal }, input) => services.lifecycle.listCheckpoints(principal, input),
      summary: (page) => `${page.items.length} checkpoint(s)${moreNote(page)}.`,
    }),
    defineOperation({
      name: 'resume_session',
      title: 'Resume session',
      description:
        'What a new agent needs to continue a session: the session (with parent and workflow), its last ' +
        'checkpoint, a summary, open tasks, files, recent messages (oldest first), related reflections and the ' +
        'sessions it delegated.',
      input: schemas.resume,
      output: resumeOutputSchema,
      annotations: READ,
      scope: 'read',
      rest: {
        method: 'get',
        path: '/v1/sessions/:id/resume',
        operationId: 'resumeSession',
        tag: 'lifecycle',
        params: byId,
      },
      run: ({ services, principal }, input) => services.lifecycle.resume(principal, input),
      summary: (r) =>
        `Session '${r.session.name}' (${r.session.status}): ${r.openTasks.length} open task(s), ` +
        `${r.recentMessages.length} recent message(s), last checkpoint ${r.lastCheckpoint ? `#${r.lastCheckpoint.seq}` : 'none'}.`,
    }),
    defineOperation({
      name: 'end_session',
      title: 'End session',
      description:
        'End a session: store a final checkpoint (type final) with the summary, open tasks and next steps, set ' +
        'the status to ended, and return a Markdown hand-off document for the next agent.',
      input: schemas.end,
      output: endOutputSchema,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
      scope: 'write',
      rest: { method: 'post', path: '/v1/sessions/:id/end', operationId: 'endSession', tag: 'lifecycle', params: byId },
      run: ({ services, principal }, input) => services.lifecycle.end(principal, input),
      summary: (r) =>
        `Ended session '${r.session.name}' (${r.session.id}); hand-off in checkpoint #${r.checkpoint.seq}.`,
    }),
    defineOperation({
      name: 'store_conversation_checkpoint',
      title: 'Store conversation checkpoint',
      description:
        "Mahavishnu's checkpoint call: a checkpoint of checkpoint_type with content (stored as its summary), " +
        'quality score and state. Without session_id a new session is created for it (in project, workflow_id).',
      input: schemas.conversationCheckpoint,
      output: stored,
      annotations: CREATE,
      scope: 'write',
      rest: {
        method: 'post',
        path: '/v1/checkpoints',
        operationId: 'storeConversationCheckpoint',
        tag: 'lifecycle',
        responses: checkpointResponses,
        respond: (c, result) => c.json(result, result.created ? 201 : 200),
      },
      run: ({ services, principal }, input) => services.lifecycle.storeConversationCheckpoint(principal, input),
      summary: ({ checkpoint: c }) => `Stored checkpoint #${c.seq} (${c.checkpointType}) of session ${c.sessionId}.`,
    }),
    defineOperation({
      name: 'list_workflow_sessions',
      title: 'List workflow sessions',
      description:
        'Every session of an orchestrated workflow, across projects, oldest first, each with the session that ' +
        'delegated it (parent_session_id).',
      input: schemas.workflowSessions,
      output: z.object({ workflowId: z.string(), items: z.array(linkedSessionSchema) }),
      annotations: READ,
      scope: 'read',
      rest: {
        method: 'get',
        path: '/v1/workflows/:workflowId/sessions',
        operationId: 'listWorkflowSessions',
        tag: 'workflows',
        params: byWorkflow,
      },
      run: async ({ services, principal }, input) => ({
        workflowId: input.workflowId,
        items: await services.lifecycle.workflowSessions(principal, input.workflowId, input.limit),
      }),
      summary: (r) => `${r.items.length} session(s) in workflow '${r.workflowId}'.`,
    }),
    defineOperation({
      name: 'store_workflow_state',
      title: 'Store workflow state',
      description:
        'Save the whole state of an orchestrator workflow; each write increments version. Give expected_version ' +
        '(0 for a new workflow) to write only over that version: another writer in between is a conflict (409).',
      input: schemas.storeWorkflowState,
      output: workflowStateOutputSchema,
      annotations: UPDATE,
      scope: 'write',
      rest: {
        method: 'put',
        path: '/v1/workflows/:workflowId/state',
        operationId: 'storeWorkflowState',
        tag: 'workflows',
        params: byWorkflow,
      },
      run: ({ services, principal }, input) => services.lifecycle.storeWorkflowState(principal, input),
      summary: (s) => `Stored workflow '${s.workflowId}' state, version ${s.version}.`,
    }),
    defineOperation({
      name: 'get_workflow_state',
      title: 'Get workflow state',
      description:
        'Read the stored state of an orchestrator workflow with its version (pass it to store_workflow_state).',
      input: schemas.getWorkflowState,
      output: workflowStateOutputSchema,
      annotations: READ,
      scope: 'read',
      rest: {
        method: 'get',
        path: '/v1/workflows/:workflowId/state',
        operationId: 'getWorkflowState',
        tag: 'workflows',
        params: byWorkflow,
      },
      run: ({ services, principal }, input) => services.lifecycle.getWorkflowState(principal, input.workflowId),
      summary: (s) => `Workflow '${s.workflowId}' state, version ${s.version}.`,
    }),
  ];
}
