import { readFileSync, readdirSync } from 'node:fs';
const dir = process.argv[2]; const f = readdirSync(dir).find((x) => x.endsWith('.cpuprofile'));
const p = JSON.parse(readFileSync(`${dir}/${f}`, 'utf8'));
const byId = new Map(p.nodes.map((n) => [n.id, n])); const parent = new Map();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const names = process.argv.slice(3); const incl = new Map(names.map((n) => [n, 0])); let total = 0;
for (let i = 0; i < p.samples.length; i++) { const dt = p.timeDeltas[i] / 1000; let id = p.samples[i]; const n0 = byId.get(id); if (n0.callFrame.functionName === '(idle)') continue; total += dt; const seen = new Set();
  while (id !== undefined) { const n = byId.get(id); const key = `${n.callFrame.functionName}@${n.callFrame.url.split('/').slice(-2).join('/')}`; for (const name of names) if (!seen.has(name) && key.includes(name)) { seen.add(name); incl.set(name, incl.get(name) + dt); } id = parent.get(id); } }
console.log('total busy ms', total.toFixed(0)); for (const [k, v] of incl) console.log(v.toFixed(0).padStart(7), k);
