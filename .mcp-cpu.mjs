import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
const p = spawn(process.execPath, ['dist/src/cli/main.js', 'start', '--mode=lite', '--mcp', '--port=0'], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, SESSION_BUDDY_LOGGING__LEVEL: 'info' } });
const base = await new Promise((res) => { let buf=''; p.stdout.on('data', d => { buf += d; for (const l of buf.split('\n')) { try { const j = JSON.parse(l); if (j.msg === 'Session-Buddy ready') res(j.url); } catch {} } }); });
const cpu = () => { const f = readFileSync(`/proc/${p.pid}/stat`, 'utf8').split(') ')[1].split(' '); return (Number(f[11]) + Number(f[12])) * 10; }; // ms
console.log('ready', base); const ids = []; for (let i = 0; i < 16; i++) ids.push((await (await fetch(base + '/v1/sessions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'b' + i }) })).json()).id);
const MESSAGE = { role: 'user', content: 'Refactor the session repository so that appends take a row lock, then add a contract test that runs against both adapters.', metadata: { source: 'bench', tokens: 42 } };
const rest = ids.map((id) => ({ method: 'POST', path: `/v1/sessions/${id}/messages`, headers: { 'content-type': 'application/json' }, body: JSON.stringify(MESSAGE) }));
const mcp = ids.map((id) => ({ method: 'POST', path: '/mcp', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'add_message', arguments: { sessionId: ids[0], ...MESSAGE } } }) }));
async function run(name, reqs, amount) {
  const c0 = cpu();
  const r = await autocannon({ url: base + reqs[0].path, connections: reqs.length, amount, requests: undefined, setupClient: undefined, connectionRate: undefined,
    // one template per connection is not directly supported; use the first
    method: reqs[0].method, headers: reqs[0].headers, body: reqs[0].body, path: reqs[0].path });
  const c1 = cpu(); console.log(JSON.stringify({e: r.errors, n: r.non2xx, s: r.statusCodeStats, t: r.timeouts}));
  console.log(name, 'req', r.requests.total, '2xx', r['2xx'], 'rps', r.requests.average, 'cpu us/req', ((c1 - c0) * 1000 / r['2xx']).toFixed(0));
}
console.log('sessions', ids.length); for (const round of [1, 2, 3, 4]) { await run('rest', rest, 4000); await run('mcp', mcp, 4000); }
p.kill('SIGTERM');
