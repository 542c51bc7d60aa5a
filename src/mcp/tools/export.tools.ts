import { z } from 'zod';
import type { Services } from '../../services/services.js';
import { idSchema } from '../../domain/common.model.js';
import { defineTool, type ToolDef } from '../tool-registry.js';

const FORMATS = ['json', 'markdown'] as const;

export function exportTools({ exports }: Services): ToolDef[] {
  return [
    defineTool({
      name: 'export_session',
      title: 'Export session',
      description:
        'Export a session with all its messages as one document: "markdown" to read or share, "json" ' +
        '(format session-buddy.session.v1) to archive or import elsewhere.',
      input: z.strictObject({
        sessionId: idSchema.describe('Id of the session to export'),
        format: z.enum(FORMATS).default('json').describe('json (default) or markdown'),
      }),
      output: z.object({
        sessionId: z.string(),
        format: z.enum(FORMATS),
        document: z.string(),
      }),
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
      run: async ({ sessionId, format }, principal) => ({
        sessionId: sessionId.toLowerCase(),
        format,
        document: await exports.exportToString(principal, sessionId, format),
      }),
      // The document itself is the readable text.
      text: (r) => r.document,
    }),
  ];
}
