import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createApplication } from '../../src/app.js';
import { createLogger } from '../../src/core/logger.js';
import { describeDownloadFaults } from '../contract/download-faults.contract.js';
import { testConfig } from '../helpers/config.js';

describeDownloadFaults('lite (SQLite file)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-download-faults-'));
  const file = join(dir, 'lite.db');
  const config = testConfig({ database: { sqlitePath: file }, limits: { pageSize: 5 } });
  const app = await createApplication(config, createLogger('silent'), { defaultMetrics: false });
  const db = new Database(file);
  db.pragma('busy_timeout = 5000');
  return {
    app,
    faults: {
      async breakReflection(project, offset) {
        // JSON null tags: the row reads back, and writing it as Markdown fails.
        db.prepare(
          `UPDATE reflections SET tags = 'null' WHERE id = (SELECT id FROM reflections WHERE project = ?
           ORDER BY created_at, id LIMIT 1 OFFSET ?)`,
        ).run(project, offset);
      },
      async dropTables() {
        db.exec('ALTER TABLE reflections RENAME TO reflections_gone');
        db.exec('ALTER TABLE messages RENAME TO messages_gone');
      },
    },
    cleanup: async () => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
