import type { ScenarioResult } from '../scenario.js';

/** What one part of the analytics scenario adds to its result; the scenario concatenates them. */
export interface PartResult extends Required<ScenarioResult> {
  /** Figures for bench/results/latest.json beyond the table. */
  details: Record<string, unknown>;
}
