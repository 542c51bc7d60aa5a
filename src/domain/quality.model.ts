import { z } from 'zod';
import { idSchema, metadataSchema, projectSchema, timestampSchema } from './common.model.js';

// Quality runs Crackerjack (or any test/lint tool) records per project, and the trends made from them.

/** One run of a quality tool (tests, lint, coverage) on a project. */
export interface QualityRun {
  id: string;
  project: string;
  sessionId: string | null;
  commit: string | null;
  tool: string;
  passed: number;
  failed: number;
  skipped: number;
  /** Percent, 0..100. */
  coverage: number | null;
  lintErrors: number | null;
  durationMs: number;
  details: Record<string, unknown>;
  idempotencyKey: string | null;
  /** When the run happened (given by the caller, else when it was recorded). */
  ranAt: string;
  createdAt: string;
}

/** What made a bucket worse than the one before it. */
export type RegressionFlag = 'failures_up' | 'coverage_down' | 'lint_errors_up';

/** The state at the end of a day or a commit: the figures of its last run. */
export interface QualityBucket {
  /** `YYYY-MM-DD` (UTC) for a day; the commit for a commit. */
  key: string;
  runs: number;
  passed: number;
  failed: number;
  skipped: number;
  coverage: number | null;
  lintErrors: number | null;
  firstAt: string;
  lastAt: string;
  /** Flags against the previous bucket of the same tool; empty when no regression (or no previous bucket). */
  regressions: RegressionFlag[];
}

export interface ToolTrend {
  tool: string;
  runs: number;
  latest: QualityRun;
  byDay: QualityBucket[];
  byCommit: QualityBucket[];
}

export interface QualityTrends {
  project: string;
  period: string;
  since: string;
  runs: number;
  tools: ToolTrend[];
  /** Every flagged bucket, newest first. */
  regressions: { tool: string; by: 'day' | 'commit'; key: string; flags: RegressionFlag[] }[];
}

const commit = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[\w.\-/@:]+$/, 'may contain letters, digits and . _ - / @ : only');
const tool = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[\w.\-/@: ]+$/, 'may contain letters, digits, spaces and . _ - / @ : only');
const count = z.number().int().min(0).max(100_000_000);

/** `7d`, `30d`, `90d`… (1..365 days); a bare number is days. */
export const periodSchema = z.coerce
  .string()
  .trim()
  .refine((v) => /^\d{1,3}d?$/.test(v) && Number(v.replace('d', '')) >= 1 && Number(v.replace('d', '')) <= 365, {
    message: 'must be a number of days from 1 to 365, e.g. "30d"',
  })
  .transform((v) => `${Number(v.replace('d', ''))}d`);

export const PERIOD_DEFAULT = '30d';

/** A path (`/home/me/src/auth-service`) or project name; its last segment is the project. */
const workingDirectory = z
  .string()
  .trim()
  .min(1)
  .max(1000)
  .describe('Crackerjack name for the project: a directory whose last path segment is the project');

export function projectFromDirectory(dir: string): string | undefined {
  const last = dir
    .replace(/[\\/]+$/, '')
    .split(/[\\/]/)
    .pop();
  return last && projectSchema.safeParse(last).success && last !== '.' && last !== '..' ? last : undefined;
}

export function qualitySchemas(metadataBytes: number) {
  const projectOrDir = {
    project: projectSchema.optional().describe('Project (or give working_directory)'),
    workingDirectory: workingDirectory.optional(),
  };
  return {
    record: z.strictObject({
      project: projectSchema.describe('Project the run checked'),
      sessionId: idSchema.optional().describe('Session the run belongs to'),
      commit: commit.optional().describe('Commit (sha or ref) the run checked'),
      tool: tool.describe('Tool or command that ran, e.g. pytest, ruff, crackerjack'),
      passed: count.describe('Tests (or checks) passed'),
      failed: count.describe('Tests (or checks) failed'),
      skipped: count.default(0).describe('Tests skipped'),
      coverage: z.number().min(0).max(100).optional().describe('Line coverage in percent, 0..100'),
      lintErrors: count.optional().describe('Lint errors found'),
      durationMs: count.describe('How long the run took, in milliseconds'),
      details: metadataSchema(metadataBytes).default({}).describe('Free-form details (JSON object)'),
      ranAt: timestampSchema.optional().describe('When the run happened (default: now)'),
      idempotencyKey: z
        .string()
        .min(1)
        .max(200)
        .optional()
        .describe('Makes retries safe: a repeated key returns the stored run'),
    }),
    trends: z
      .strictObject({
        ...projectOrDir,
        period: periodSchema.default(PERIOD_DEFAULT).describe('How far back: days, e.g. "7d" or "30d" (default 30d)'),
        tool: tool.optional().describe('Only this tool'),
      })
      .refine((v) => v.project !== undefined || v.workingDirectory !== undefined, {
        message: 'give project (or working_directory)',
      }),
    /** crackerjack_metrics: the trends, in Crackerjack's argument names (`days`). */
    metrics: z
      .strictObject({
        ...projectOrDir,
        days: z.coerce.number().int().min(1).max(365).default(30).describe('How many days back (default 30)'),
        tool: tool.optional().describe('Only this tool'),
      })
      .refine((v) => v.project !== undefined || v.workingDirectory !== undefined, {
        message: 'give project (or working_directory)',
      }),
    /** crackerjack_history: the runs, newest first. */
    history: z
      .strictObject({
        ...projectOrDir,
        commandFilter: z.string().max(100).optional().describe('Only runs whose tool contains this text'),
        days: z.coerce.number().int().min(1).max(365).default(7).describe('How many days back (default 7)'),
        limit: z.coerce.number().int().min(1).max(500).default(100),
      })
      .refine((v) => v.project !== undefined || v.workingDirectory !== undefined, {
        message: 'give project (or working_directory)',
      }),
  };
}

export const qualityRunSchema = z.object({
  id: z.string(),
  project: z.string(),
  sessionId: z.string().nullable(),
  commit: z.string().nullable(),
  tool: z.string(),
  passed: z.number().int(),
  failed: z.number().int(),
  skipped: z.number().int(),
  coverage: z.number().nullable(),
  lintErrors: z.number().int().nullable(),
  durationMs: z.number().int(),
  details: z.record(z.string(), z.unknown()),
  idempotencyKey: z.string().nullable(),
  ranAt: z.string(),
  createdAt: z.string(),
});

const flag = z.enum(['failures_up', 'coverage_down', 'lint_errors_up']);
const bucket = z.object({
  key: z.string(),
  runs: z.number().int(),
  passed: z.number().int(),
  failed: z.number().int(),
  skipped: z.number().int(),
  coverage: z.number().nullable(),
  lintErrors: z.number().int().nullable(),
  firstAt: z.string(),
  lastAt: z.string(),
  regressions: z.array(flag),
});

export const qualityTrendsSchema = z.object({
  project: z.string(),
  period: z.string(),
  since: z.string(),
  runs: z.number().int(),
  tools: z.array(
    z.object({
      tool: z.string(),
      runs: z.number().int(),
      latest: qualityRunSchema,
      byDay: z.array(bucket),
      byCommit: z.array(bucket),
    }),
  ),
  regressions: z.array(
    z.object({ tool: z.string(), by: z.enum(['day', 'commit']), key: z.string(), flags: z.array(flag) }),
  ),
});

export const qualityHistorySchema = z.object({
  project: z.string(),
  since: z.string(),
  items: z.array(qualityRunSchema),
});
