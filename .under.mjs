import { readFileSync, readdirSync } from 'node:fs';
const dir = process.argv[2]; const root = process.argv[3]; const f = readdirSync(dir).find((x) => x.endsWith('.cpuprofile'));
const p = JSON.parse(readFileSync(`${dir}/${f}`, 'utf8'));
const byId = new Map(p.nodes.map((n) => [n.id, n])); const parent = new Map();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const t = new Map();
for (let i = 0; i < p.samples.length; i++) { const dt = p.timeDeltas[i] / 1000; let id = p.samples[i]; const leaf = byId.get(id); let under = false; let child = null; let prev = null;
  while (id !== undefined) { const n = byId.get(id); if (n.callFrame.functionName === root) { under = true; child = prev; break; } prev = n; id = parent.get(id); }
  if (under) { const k = child ? `${child.callFrame.functionName}@${child.callFrame.url.split('/').slice(-2).join('/')}:${child.callFrame.lineNumber}` : '(self)'; t.set(k, (t.get(k) ?? 0) + dt); } }
for (const [k, v] of [...t].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(v.toFixed(0).padStart(6), k);
