import { createApplication } from './dist/src/app.js';
import { createLogger } from './dist/src/core/logger.js';
import { configSchema } from './dist/src/config/config.schema.js';
const app = await createApplication(configSchema.parse({ logging: { level: 'silent' }, mcp: { enabled: true } }), createLogger('silent'), { defaultMetrics: false });
const s = await app.services.sessions.create({ tenantId: 'default' }, { name: 'p' });
const MESSAGE = { role: 'user', content: 'Refactor the session repository so that appends take a row lock, then add a contract test.', metadata: { source: 'bench', tokens: 42 } };
const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'add_message', arguments: { sessionId: s.id, ...MESSAGE } } });
const headers = { host: 'localhost', 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18' };
const mcp = async () => { const r = await app.http.request('http://localhost/mcp', { method: 'POST', headers, body }); if (r.status !== 200) throw new Error(await r.text()); await r.text(); };
const rb = JSON.stringify(MESSAGE);
const rest = async () => { const r = await app.http.request(`http://localhost/v1/sessions/${s.id}/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: rb }); await r.text(); };
async function measure(name, fn, n) { const c0 = process.cpuUsage(); for (let i = 0; i < n; i++) { await fn(); await new Promise(setImmediate); } await new Promise(setImmediate); const c = process.cpuUsage(c0); return (c.user + c.system) / n; }
for (let i = 0; i < 500; i++) { await mcp(); await rest(); }
const out = { rest: [], mcp: [] };
for (let round = 0; round < 5; round++) { out.rest.push(await measure('rest', rest, 1000)); out.mcp.push(await measure('mcp', mcp, 1000)); }
const med = (a) => a.sort((x, y) => x - y)[Math.floor(a.length / 2)];
console.log('cpu µs/op median: rest', med(out.rest).toFixed(0), 'mcp', med(out.mcp).toFixed(0), 'ratio rest/mcp', (med(out.rest) / med(out.mcp)).toFixed(2));
await app.close();
