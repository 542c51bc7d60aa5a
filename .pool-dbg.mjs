import { createApplication } from './dist/src/app.js';
import { createLogger } from './dist/src/core/logger.js';
import { configSchema } from './dist/src/config/config.schema.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
const app = await createApplication(configSchema.parse({ logging: { level: 'silent' }, mcp: { enabled: true } }), createLogger('silent'), { defaultMetrics: false });
let created = 0; const orig = McpServer.prototype.registerTool; McpServer.prototype.registerTool = function (...a) { if (a[0] === 'create_session') created++; return orig.apply(this, a); };
const s = await app.services.sessions.create({ tenantId: 'default' }, { name: 'p' });
const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'get_session', arguments: { sessionId: s.id } } });
const headers = { host: 'localhost', 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18' };
for (let i = 0; i < 200; i++) { const r = await app.http.request('http://localhost/mcp', { method: 'POST', headers, body }); await r.text(); }
console.log('created', created);
await app.close();
const app2 = await createApplication(configSchema.parse({ logging: { level: 'silent' }, mcp: { enabled: true } }), createLogger('silent'), { defaultMetrics: false });
const oc = McpServer.prototype.close; McpServer.prototype.close = async function () { try { await oc.call(this); console.log('closed ok, client', this.server.getClientVersion(), 'connected', this.isConnected()); } catch (e) { console.log('close failed', e); throw e; } };
for (let i = 0; i < 2; i++) { const r = await app2.http.request('http://localhost/mcp', { method: 'POST', headers, body }); await r.text(); await new Promise(r => setTimeout(r, 10)); }
await app2.close();
