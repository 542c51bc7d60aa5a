import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { readMigrations } from '../../src/repositories/migrations.js';

describe('sqlite migration 0003 (full-text search)', () => {
  it('indexes the messages stored before it, and keeps the index in step with later writes', () => {
    const db = new Database(':memory:');
    const [m1, m2, m3] = readMigrations('sqlite');
    db.exec(`${m1?.sql}\n${m2?.sql}`);
    const at = '2026-01-01T00:00:00.000Z';
    db.prepare(`INSERT INTO sessions (id, tenant_id, project, name, status, created_at, updated_at)
                VALUES ('s', 't', 'p', 'n', 'active', ?, ?)`).run(at, at);
    const add = db.prepare(`INSERT INTO messages (id, session_id, tenant_id, role, content, seq, created_at)
                            VALUES (?, 's', 't', 'user', ?, ?, ?)`);
    add.run('m1', 'The deployments were failing', 1, at);
    expect(m3?.name).toBe('0003_reflections_search.sql');
    db.exec(m3?.sql as string);
    const match = (q: string): string[] =>
      db
        .prepare(
          'SELECT m.id FROM messages_fts JOIN messages m ON m.rowid = messages_fts.rowid WHERE messages_fts MATCH ?',
        )
        .pluck()
        .all(q) as string[];
    expect(match('"deployment" OR "fail"')).toEqual(['m1']);
    add.run('m2', 'Another deployment', 2, at);
    expect(match('"deployment"').sort()).toEqual(['m1', 'm2']);
    db.prepare("UPDATE messages SET content = 'rewritten' WHERE id = 'm1'").run();
    expect(match('"deployment"')).toEqual(['m2']);
    db.prepare("DELETE FROM messages WHERE id = 'm2'").run();
    expect(match('"deployment"')).toEqual([]);
    expect(match('"rewritten"')).toEqual(['m1']);
    db.close();
  });
});
