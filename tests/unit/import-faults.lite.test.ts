import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createApplication } from '../../src/app.js';
import { createLogger } from '../../src/core/logger.js';
import { describeImportFaults } from '../contract/import-faults.contract.js';
import { testConfig } from '../helpers/config.js';

describeImportFaults('lite (SQLite file)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-import-faults-'));
  const file = join(dir, 'lite.db');
  const app = await createApplication(testConfig({ database: { sqlitePath: file } }), createLogger('silent'), {
    defaultMetrics: false,
  });
  const db = new Database(file);
  db.exec(`CREATE TRIGGER refuse_boom BEFORE INSERT ON reflections WHEN NEW.content LIKE '%boom%'
    BEGIN SELECT RAISE(ABORT, 'refused by the test trigger'); END`);
  db.close();
  return { app, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
});
