import postgres from 'postgres';
import { createApplication } from '../../src/app.js';
import { createLogger } from '../../src/core/logger.js';
import { describeDownloadFaults } from '../contract/download-faults.contract.js';
import { testConfig } from '../helpers/config.js';
import { createTestDatabase, REDIS_URL, randomPrefix } from '../helpers/pg.js';

describeDownloadFaults('standard (PostgreSQL + Redis)', async () => {
  const db = await createTestDatabase('download_faults');
  const config = testConfig({
    mode: 'standard',
    database: { driver: 'postgres', url: db.url, migrateOnStart: true },
    redis: { url: REDIS_URL, prefix: randomPrefix('download-faults') },
    limits: { pageSize: 5 },
  });
  const app = await createApplication(config, createLogger('silent'), { defaultMetrics: false });
  const sql = postgres(db.url, { max: 1, onnotice: () => {} });
  return {
    app,
    faults: {
      async breakReflection(project, offset) {
        // NULL tags: the row reads back, and writing it as Markdown fails.
        await sql.unsafe('ALTER TABLE reflections ALTER COLUMN tags DROP NOT NULL');
        await sql`UPDATE reflections SET tags = NULL WHERE id = (SELECT id FROM reflections WHERE project = ${project}
          ORDER BY created_at, id OFFSET ${offset} LIMIT 1)`;
      },
      async dropTables() {
        await sql.unsafe('ALTER TABLE reflections RENAME TO reflections_gone');
        await sql.unsafe('ALTER TABLE messages RENAME TO messages_gone');
      },
    },
    cleanup: async () => {
      await sql.end();
      await db.drop();
    },
  };
});
