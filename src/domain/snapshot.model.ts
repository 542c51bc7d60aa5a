import { z } from 'zod';
import { SNAPSHOT_TABLES } from '../repositories/snapshot.port.js';

/** `<UTC time, compact, with ms>-<6 hex>`: ids sort by creation time. */
export const SNAPSHOT_ID_PATTERN = /^\d{8}T\d{9}Z-[0-9a-f]{6}$/;

export const snapshotIdSchema = z
  .string()
  .regex(SNAPSHOT_ID_PATTERN, 'must be a snapshot id such as 20261206T041836123Z-a1b2c3 (see list_snapshots)')
  .describe('Id of the snapshot (from list_snapshots)');

export const snapshotFileSchema = z.object({
  table: z.enum(SNAPSHOT_TABLES),
  /** File name relative to the storage root: `<id>/<table>.jsonl[.gz][.<key id>.enc]`. */
  name: z.string(),
  rows: z.number().int().min(0),
  /** Bytes stored (after compression and encryption). */
  bytes: z.number().int().min(0),
  /** sha256 of the stored bytes, hex. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});

/** manifest.json: written last, so a snapshot without one is incomplete and never listed or restored. */
export const snapshotManifestSchema = z.object({
  format: z.literal('session-buddy-snapshot'),
  version: z.literal(1),
  id: z.string().regex(SNAPSHOT_ID_PATTERN),
  createdAt: z.string(),
  /** The store it was taken from; a snapshot restores into either. */
  dialect: z.enum(['postgres', 'sqlite']),
  compression: z.enum(['gzip', 'none']),
  /** null: files are not encrypted. */
  encryption: z.object({ algorithm: z.literal('AES-256-GCM'), keyId: z.string() }).nullable(),
  files: z.array(snapshotFileSchema),
});
export type SnapshotManifest = z.infer<typeof snapshotManifestSchema>;

export const snapshotSummarySchema = z.object({
  id: z.string(),
  createdAt: z.string(),
  dialect: z.enum(['postgres', 'sqlite']),
  /** Key id the files are encrypted with; null when not encrypted. */
  keyId: z.string().nullable(),
  rows: z.record(z.string(), z.number()),
  bytes: z.number(),
  location: z.string(),
});
export type SnapshotSummary = z.infer<typeof snapshotSummarySchema>;

export const snapshotListSchema = z.object({ items: z.array(snapshotSummarySchema), location: z.string() });
export type SnapshotList = z.infer<typeof snapshotListSchema>;

export const snapshotCreatedSchema = snapshotSummarySchema.extend({
  /** Older snapshots deleted to keep `sync.retention`. */
  pruned: z.array(z.string()),
});
export type SnapshotCreated = z.infer<typeof snapshotCreatedSchema>;

export interface RestoreReport {
  id: string;
  rows: Record<string, number>;
  /** Embedding jobs queued for the restored messages and reflections. */
  embeddingJobs: number;
}

export interface RotateReport {
  activeKeyId: string;
  /** Snapshots re-encrypted now, and those already under the active key. */
  rotated: string[];
  unchanged: string[];
  files: number;
}
