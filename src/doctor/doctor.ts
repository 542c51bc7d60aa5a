/**
 * `session-buddy doctor`: one check per dependency of a deployment, each saying what it found and, when something is
 * wrong, what to do about it. Checks never change anything (no migration, no file created).
 */
export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

export interface CheckResult {
  /** What was checked: `config`, `postgresql`, `pgvector`, `migrations`, `redis`, `embedding`, `disk: …`. */
  name: string;
  status: CheckStatus;
  /** What was found, one line. */
  detail: string;
  /** What to do, for `warn` and `fail`. */
  fix?: string;
}

export const ok = (name: string, detail: string): CheckResult => ({ name, status: 'ok', detail });
export const warn = (name: string, detail: string, fix: string): CheckResult => ({ name, status: 'warn', detail, fix });
export const fail = (name: string, detail: string, fix: string): CheckResult => ({ name, status: 'fail', detail, fix });
export const skip = (name: string, detail: string): CheckResult => ({ name, status: 'skip', detail });

/** The message of anything thrown, on one line. */
export function reason(error: unknown): string {
  const e = error as { message?: string; code?: string } | undefined;
  const message = e?.message || e?.code || String(error);
  return message.replace(/\s+/g, ' ').trim();
}

/** Rejects after `ms` (a dependency that accepts connections and never answers must not hang the doctor). */
export async function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const LABEL: Record<CheckStatus, string> = { ok: 'ok', warn: 'WARN', fail: 'FAIL', skip: 'skip' };

/** The report as text: one line per check, its fix indented below; a verdict at the end. */
export function formatReport(results: CheckResult[], heading: string): string {
  const width = Math.max(...results.map((r) => r.name.length));
  const lines = [heading];
  for (const r of results) {
    lines.push(`  ${LABEL[r.status].padEnd(4)}  ${r.name.padEnd(width)}  ${r.detail}`);
    if (r.fix) lines.push(`  ${' '.repeat(4)}  ${' '.repeat(width)}  fix: ${r.fix}`);
  }
  const failed = results.filter((r) => r.status === 'fail').length;
  const warned = results.filter((r) => r.status === 'warn').length;
  lines.push(
    failed > 0
      ? `${failed} problem(s) to fix${warned > 0 ? `, ${warned} warning(s)` : ''}: see the FAIL lines above.`
      : warned > 0
        ? `Healthy, with ${warned} warning(s).`
        : 'Healthy.',
  );
  return `${lines.join('\n')}\n`;
}
