import type { Services } from '../../services/services.js';
import type { ToolDef } from '../tool-registry.js';
import { deadLetterTools } from './dead-letter.tools.js';
import { exportTools } from './export.tools.js';
import { healthTools } from './health.tools.js';
import { messageTools } from './message.tools.js';
import { patternTools } from './pattern.tools.js';
import { reflectionTools } from './reflection.tools.js';
import { reflectionTransferTools } from './reflection-transfer.tools.js';
import { searchTools } from './search.tools.js';
import { sessionTools } from './session.tools.js';

/** A group of tools over one service. A new capability adds one file here and one line below. */
export type ToolGroup = (services: Services) => ToolDef[];

export const TOOL_GROUPS: readonly ToolGroup[] = [
  sessionTools,
  messageTools,
  exportTools,
  reflectionTools,
  reflectionTransferTools,
  searchTools,
  patternTools,
  deadLetterTools,
  healthTools,
];

export interface ToolSet {
  tools: readonly ToolDef[];
  names: ReadonlySet<string>;
}

const built = new WeakMap<Services, ToolSet>();

/**
 * Every tool for these services. Built once per application: stateless HTTP creates a server per
 * request, and rebuilding the schemas each time would be waste.
 */
export function toolsFor(services: Services): ToolSet {
  let set = built.get(services);
  if (!set) {
    const tools = TOOL_GROUPS.flatMap((group) => group(services));
    const names = new Set<string>();
    for (const tool of tools) {
      if (names.has(tool.name)) throw new Error(`MCP tool '${tool.name}' is registered twice`);
      names.add(tool.name);
    }
    set = { tools, names };
    built.set(services, set);
  }
  return set;
}
