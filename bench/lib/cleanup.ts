/**
 * Things to undo if the run is interrupted (Ctrl-C, SIGTERM): child processes, throwaway databases.
 * Helpers register an undo step when they create something and unregister it once they have undone
 * it themselves; bench/run.ts runs whatever is left when a signal arrives.
 */
const pending = new Set<() => Promise<void>>();

export function registerCleanup(undo: () => Promise<void>): () => void {
  pending.add(undo);
  return () => {
    pending.delete(undo);
  };
}

/** Runs every registered step, newest first; never throws. */
export async function runPendingCleanups(): Promise<void> {
  const steps = [...pending].reverse();
  pending.clear();
  for (const step of steps) {
    await step().catch(() => {});
  }
}
