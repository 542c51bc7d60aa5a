import { z } from 'zod';
import { idSchema, metadataSchema, projectSchema } from './common.model.js';

// Code graphs Mahavishnu hands over (one per project and commit); Akosha pulls them.

/** Largest graph accepted, as JSON. Over HTTP, `server.bodyLimitBytes` (default 1 MiB) applies first. */
export const CODE_GRAPH_MAX_BYTES = 8 * 1024 * 1024;

export interface CodeGraphInfo {
  id: string;
  project: string;
  commit: string;
  nodeCount: number;
  edgeCount: number;
  /** Size of the graph as JSON. */
  bytes: number;
  metadata: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

export interface CodeGraph extends CodeGraphInfo {
  graph: Record<string, unknown>;
}

const commit = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[\w.\-/@:]+$/, 'may contain letters, digits and . _ - / @ : only')
  .describe('Commit (sha or ref) the graph describes');

export function codeGraphSchemas(metadataBytes: number) {
  return {
    store: z.strictObject({
      project: projectSchema.describe('Project the graph belongs to'),
      commit: commit.default('HEAD'),
      graph: z
        .record(z.string(), z.unknown())
        .refine((g) => Buffer.byteLength(JSON.stringify(g)) <= CODE_GRAPH_MAX_BYTES, {
          message: `must serialise to at most ${CODE_GRAPH_MAX_BYTES} bytes of JSON`,
        })
        .describe('The graph as a JSON object; nodes and edges arrays are counted when present'),
      metadata: metadataSchema(metadataBytes).default({}),
    }),
    list: z.strictObject({
      project: projectSchema.optional().describe('Only this project'),
      limit: z.coerce.number().int().min(1).max(200).default(50),
      cursor: z.string().min(1).max(512).optional(),
    }),
    get: z
      .strictObject({
        id: idSchema.optional().describe('Id of the graph (from list_code_graphs)'),
        project: projectSchema.optional().describe('Project, with commit (default: its newest graph)'),
        commit: commit.optional(),
      })
      .refine((v) => v.id !== undefined || v.project !== undefined, { message: 'give id, or project (and commit)' }),
  };
}

export type CodeGraphSchemas = ReturnType<typeof codeGraphSchemas>;

export const codeGraphInfoSchema = z.object({
  id: z.string(),
  project: z.string(),
  commit: z.string(),
  nodeCount: z.number().int(),
  edgeCount: z.number().int(),
  bytes: z.number().int(),
  metadata: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const codeGraphSchema = codeGraphInfoSchema.extend({ graph: z.record(z.string(), z.unknown()) });
