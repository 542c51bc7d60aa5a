import { createApplication } from './dist/src/app.js';
import { createLogger } from './dist/src/core/logger.js';
import { configSchema } from './dist/src/config/config.schema.js';
import { createMcpServer } from './dist/src/mcp/mcp-server.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
const app = await createApplication(configSchema.parse({ logging: { level: 'silent' } }), createLogger('silent'), { defaultMetrics: false });
const ctx = { principal: { tenantId: 'default' }, logger: app.logger };
const m = (fn, n = 5000) => { const c0 = process.cpuUsage(); for (let i = 0; i < n; i++) fn(); const c = process.cpuUsage(c0); return ((c.user + c.system) / n).toFixed(1); };
for (let r = 0; r < 3; r++) {
  console.log('create', m(() => createMcpServer(app.services, { name: 'x', version: '1' }, ctx)), 'transport', m(() => new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true })));
}
const c0 = process.cpuUsage(); for (let i = 0; i < 3000; i++) { const s = createMcpServer(app.services, { name: 'x', version: '1' }, ctx); const t = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true }); await s.connect(t); await s.close(); } const c = process.cpuUsage(c0); console.log('create+connect+close', ((c.user + c.system) / 3000).toFixed(1));
await app.close();
