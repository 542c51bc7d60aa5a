import postgres from 'postgres';
import { createApplication } from '../../src/app.js';
import { createLogger } from '../../src/core/logger.js';
import { describeImportFaults } from '../contract/import-faults.contract.js';
import { testConfig } from '../helpers/config.js';
import { createTestDatabase, REDIS_URL, randomPrefix } from '../helpers/pg.js';

describeImportFaults('standard (PostgreSQL + Redis)', async () => {
  const db = await createTestDatabase('import_faults');
  const config = testConfig({
    mode: 'standard',
    database: { driver: 'postgres', url: db.url, migrateOnStart: true },
    redis: { url: REDIS_URL, prefix: randomPrefix('import-faults') },
  });
  const app = await createApplication(config, createLogger('silent'), { defaultMetrics: false });
  const sql = postgres(db.url, { max: 1, onnotice: () => {} });
  await sql.unsafe(`
    CREATE FUNCTION refuse_boom() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.content LIKE '%boom%' THEN RAISE EXCEPTION 'refused by the test trigger'; END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER refuse_boom BEFORE INSERT ON reflections FOR EACH ROW EXECUTE FUNCTION refuse_boom();
  `);
  await sql.end();
  return { app, cleanup: () => db.drop() };
});
