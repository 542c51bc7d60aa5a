import { createApplication } from './dist/src/app.js';
import { createLogger } from './dist/src/core/logger.js';
import { configSchema } from './dist/src/config/config.schema.js';
import { createMcpServer } from './dist/src/mcp/mcp-server.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
const app = await createApplication(configSchema.parse({ logging: { level: 'silent' }, mcp: { enabled: true } }), createLogger('silent'), { defaultMetrics: false });
const s = await app.services.sessions.create({ tenantId: 'default' }, { name: 'p' });
const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'add_message', arguments: { sessionId: s.id, role: 'user', content: 'hello there', metadata: { a: 1 } } } });
const headers = { host: 'localhost', 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18' };
async function one() { const r = await app.http.request('http://localhost/mcp', { method: 'POST', headers, body }); await r.text(); }
async function rest() { const r = await app.http.request(`http://localhost/v1/sessions/${s.id}/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ role: 'user', content: 'hello there', metadata: { a: 1 } }) }); await r.text(); }
for (let i = 0; i < 200; i++) { await one(); await rest(); }
let t = performance.now(); for (let i = 0; i < 1000; i++) await rest(); console.log('rest ms/op', (performance.now() - t) / 1000);
t = performance.now(); for (let i = 0; i < 1000; i++) await one(); console.log('mcp ms/op', (performance.now() - t) / 1000);
t = performance.now(); for (let i = 0; i < 1000; i++) createMcpServer(app.services, { name: 'x', version: '1' }, { principal: { tenantId: 'default' }, logger: app.logger }); console.log('create ms/op', (performance.now() - t) / 1000);
t = performance.now(); for (let i = 0; i < 1000; i++) { const srv = createMcpServer(app.services, { name: 'x', version: '1' }, { principal: { tenantId: 'default' }, logger: app.logger }); const tr = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true }); await srv.connect(tr); await srv.close(); } console.log('create+connect+close ms/op', (performance.now() - t) / 1000);
await app.close();
