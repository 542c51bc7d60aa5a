import { z } from 'zod';
import { snapshotCreatedSchema, snapshotListSchema } from '../domain/snapshot.model.js';
import { CREATE, defineOperation, type Operation, READ } from './operation.js';

const tag = 'snapshots';

function size(bytes: number): string {
  return bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/**
 * Snapshots of the whole primary store (every tenant): operator work, so `admin`, and with auth on only for a token
 * with the operator or admin role (the `admin` scope, checked by the operation runner for every front door). Restoring is a CLI command only
 * (`session-buddy snapshot restore`): it needs an empty database and may run long.
 */
export function snapshotOperations(): Operation[] {
  return [
    defineOperation({
      name: 'list_snapshots',
      title: 'List snapshots',
      description:
        'Snapshots of the primary store (sessions, messages, reflections, patterns of every tenant) at the ' +
        'configured provider, newest first: id, time, rows per table, stored bytes and the encryption key id.',
      input: z.strictObject({}),
      output: snapshotListSchema,
      annotations: READ,
      scope: 'admin',
      rest: { method: 'get', path: '/v1/snapshots', operationId: 'listSnapshots', tag },
      run: ({ services }) => services.snapshots.list(),
      summary: (list) => `${list.items.length} snapshot(s) at ${list.location}.`,
    }),
    defineOperation({
      name: 'create_snapshot',
      title: 'Create a snapshot',
      description:
        'Write a snapshot of the primary store now (one JSON-lines file per table, compressed and, when a key is ' +
        'configured, AES-256-GCM encrypted, with a manifest of counts and sha256 sums), then delete the oldest ' +
        'beyond the retention count. Answers when the snapshot is complete.',
      input: z.strictObject({}),
      output: snapshotCreatedSchema,
      annotations: CREATE,
      scope: 'admin',
      rest: {
        method: 'post',
        path: '/v1/snapshots',
        operationId: 'createSnapshot',
        tag,
        responses: { 201: { description: 'The snapshot written', schema: snapshotCreatedSchema } },
        respond: (c, created) => c.json(created, 201),
      },
      run: ({ services }) => services.snapshots.create(),
      summary: (s) =>
        `Snapshot ${s.id}: ${Object.entries(s.rows)
          .map(([t, n]) => `${n} ${t}`)
          .join(', ')}; ${size(s.bytes)}${s.keyId ? `, encrypted with key ${s.keyId}` : ', not encrypted'}.`,
    }),
  ];
}
