import { readFileSync, readdirSync } from 'node:fs';
function load(dir) { const f = readdirSync(dir).find((x) => x.endsWith('.cpuprofile')); return JSON.parse(readFileSync(`${dir}/${f}`, 'utf8')); }
function self(p) { const byId = new Map(p.nodes.map((n) => [n.id, n])); const t = new Map(); for (let i = 0; i < p.samples.length; i++) { const n = byId.get(p.samples[i]); const k = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.replace(/.*node_modules\//, '').replace(/^node:/, '')}:${n.callFrame.lineNumber}`; t.set(k, (t.get(k) ?? 0) + p.timeDeltas[i] / 1000); } return t; }
const [mDir, rDir, mN, rN] = process.argv.slice(2);
const m = self(load(mDir)), r = self(load(rDir));
const keys = new Set([...m.keys(), ...r.keys()]);
const rows = [...keys].map((k) => [k, ((m.get(k) ?? 0) / mN) * 1000, ((r.get(k) ?? 0) / rN) * 1000]).filter(([k]) => !k.startsWith('(idle)'));
rows.sort((a, b) => (b[1] - b[2]) - (a[1] - a[2]));
for (const [k, a, b] of rows.slice(0, 45)) console.log(a.toFixed(0).padStart(6), b.toFixed(0).padStart(6), k.slice(0, 110));
