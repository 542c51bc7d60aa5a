import { historyResultSchema, historyTextSchema } from '../services/history-import.service.js';
import { CREATE, defineOperation, type Operation } from './operation.js';

/** Import of past conversations (coding-assistant transcripts, generic chats) as sessions. */
export function historyOperations(): Operation[] {
  return [
    defineOperation({
      name: 'import_history',
      title: 'Import conversation history',
      description:
        'Import one past conversation as a session with its messages, each keeping its own time: a Claude Code ' +
        'transcript (format "claude-code": the JSON lines of ~/.claude/projects/<project>/<session>.jsonl), JSON ' +
        'lines of {role, content, timestamp?} ("jsonl") or Markdown with "## user" / "## assistant" headings ' +
        '("markdown"). Importing the same file again adds nothing; a file that grew adds only its new messages. ' +
        'Bad lines are reported with their number and the rest is imported. Over REST the file may also be the ' +
        'body itself (application/x-ndjson or text/markdown, options in the query; bounded by ' +
        'server.bodyLimitBytes: the CLI `import claude-code` streams whole folders).',
      input: historyTextSchema,
      output: historyResultSchema,
      annotations: { ...CREATE, idempotentHint: true },
      scope: 'write',
      rest: {
        method: 'post',
        path: '/v1/history/import',
        operationId: 'importHistory',
        tag: 'sessions',
        textBody: { types: ['application/x-ndjson', 'application/jsonl', 'text/markdown'], key: 'content' },
        responses: { 200: { description: 'The session, counts and per-line errors', schema: historyResultSchema } },
      },
      run: ({ services, principal }, input) => services.history.importText(principal, input),
      summary: (r) =>
        `Imported ${r.lines} lines${r.session ? ` into session ${r.session.id} (${r.session.name})` : ''}: ` +
        `${r.created} messages created, ${r.existing} already present, ${r.skipped} skipped, ${r.failed} failed.`,
    }),
  ];
}
