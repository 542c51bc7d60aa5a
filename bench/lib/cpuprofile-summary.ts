/**
 * Summarises V8 CPU profiles written with BENCH_CPU_PROF=1 (node --cpu-prof):
 *
 *   node dist/bench/lib/cpuprofile-summary.js <file.cpuprofile | folder> [--top N] [--grep text]
 *
 * Prints where the busy time goes: self time by area (node internals, each npm package, each file of
 * src/), self time by function, and total (inclusive) time of the functions matching --grep.
 * Idle time is left out of every percentage.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { renderTable } from './table.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function area(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node internals';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1] as string;
  const own = /\/(?:dist\/)?((?:src|bench)\/.*)$/.exec(url);
  return own ? (own[1] as string) : url;
}

function label(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url ? `${area(url, functionName)}:${lineNumber + 1}` : '';
  return `${functionName || '(anonymous)'} ${where}`.trim();
}

export function summarise(profile: Profile, top: number, grep: string | undefined): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i] as number;
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const idle = [...self].filter(([id]) => byId.get(id)?.callFrame.functionName === '(idle)');
  const idleUs = idle.reduce((n, [, us]) => n + us, 0);
  const totalUs = [...self.values()].reduce((n, us) => n + us, 0);
  const busyUs = totalUs - idleUs;
  const pct = (us: number) => `${((100 * us) / busyUs).toFixed(1)}%`;
  const ms = (us: number) => (us / 1000).toFixed(0);

  const add = (map: Map<string, number>, key: string, us: number) => map.set(key, (map.get(key) ?? 0) + us);
  const byArea = new Map<string, number>();
  const byFunction = new Map<string, number>();
  for (const [id, us] of self) {
    const node = byId.get(id);
    if (!node || node.callFrame.functionName === '(idle)') continue;
    add(byArea, area(node.callFrame.url, node.callFrame.functionName), us);
    add(byFunction, label(node), us);
  }
  const rows = (map: Map<string, number>) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([key, us]) => [pct(us), ms(us), key]);

  const out = [
    `busy ${ms(busyUs)} ms of ${ms(totalUs)} ms sampled (idle ${pct(idleUs)} of busy)`,
    '',
    'self time by area',
    renderTable(['busy', 'ms', 'area'], rows(byArea), ['right', 'right', 'left']),
    '',
    'self time by function',
    renderTable(['busy', 'ms', 'function'], rows(byFunction), ['right', 'right', 'left']),
  ];

  if (grep) {
    // Inclusive time: each sample counts once for every distinct matching function on its stack.
    const parent = new Map<number, number>();
    for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
    const inclusive = new Map<string, number>();
    for (const [id, us] of self) {
      const seen = new Set<string>();
      for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
        const node = byId.get(cur);
        if (!node) break;
        const key = label(node);
        if (!seen.has(key) && key.includes(grep)) {
          seen.add(key);
          add(inclusive, key, us);
        }
      }
    }
    out.push('', `total time of functions matching '${grep}'`);
    out.push(renderTable(['busy', 'ms', 'function'], rows(inclusive), ['right', 'right', 'left']));
  }
  return out.join('\n');
}

function profileFiles(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(path, f));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const option = (name: string) => {
    const i = args.indexOf(name);
    if (i < 0) return undefined;
    const value = args[i + 1];
    args.splice(i, 2);
    return value;
  };
  const top = Number(option('--top') ?? 25);
  const grep = option('--grep');
  if (args.length === 0) {
    console.error('usage: cpuprofile-summary <file.cpuprofile | folder> [--top N] [--grep text]');
    process.exit(2);
  }
  for (const file of args.flatMap(profileFiles)) {
    console.log(`== ${file}`);
    console.log(summarise(JSON.parse(readFileSync(file, 'utf8')) as Profile, top, grep));
    console.log('');
  }
}
