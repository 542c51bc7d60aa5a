import { z } from 'zod';
import { isStorableTime, TIME_RANGE_MESSAGE } from '../core/time-range.js';

/** Ids are UUIDs (v7 when this server made them). */
export const idSchema = z.uuid({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a UUID') });

/** Every time filter: an ISO 8601 date-time, normalised to UTC, within the range both stores accept (0001–9999). */
export const timestampSchema = z.iso
  .datetime({ offset: true, message: 'must be an ISO 8601 date-time, e.g. 2026-01-31T12:00:00Z' })
  .refine((value) => isStorableTime(Date.parse(value)), TIME_RANGE_MESSAGE)
  .transform((value) => new Date(value).toISOString());

export const projectSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[\w.\-/@:]+$/, 'may contain letters, digits and . _ - / @ : only');

export function metadataSchema(maxBytes: number) {
  return z
    .record(z.string().max(200), z.unknown())
    .refine((value) => Buffer.byteLength(JSON.stringify(value)) <= maxBytes, {
      message: `must serialise to at most ${maxBytes} bytes of JSON`,
    });
}

export function pageQuery(maxPageSize: number) {
  return {
    limit: z.coerce.number().int().min(1).max(maxPageSize).default(Math.min(50, maxPageSize)),
    cursor: z.string().min(1).max(512).optional(),
  };
}

export interface Page<T> {
  items: T[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

/** Tags of reflections and patterns: at most 32 per item, each up to 64 characters. */
export const TAG_LIMITS = { tags: 32, tagChars: 64 } as const;

/** One tag: trimmed, lowercased, letters, digits and a few separators. */
export const tagSchema = z
  .string()
  .trim()
  .toLowerCase()
  .min(1)
  .max(TAG_LIMITS.tagChars)
  .regex(/^[\p{L}\p{N}_.:/@#+-]+$/u, 'may contain letters, digits and _ . : / @ # + - only');
/** A tag list, duplicates removed. */
export const tagsSchema = z
  .array(tagSchema)
  .max(TAG_LIMITS.tags)
  .transform((tags) => [...new Set(tags)]);
/** Query-string tag lists: `a,b,c`. */
export const tagListQuery = z
  .string()
  .max(TAG_LIMITS.tags * (TAG_LIMITS.tagChars + 1))
  .transform((s) => s.split(',').filter((t) => t.trim() !== ''))
  .pipe(tagsSchema);
