import type Database from 'better-sqlite3';

/** The open better-sqlite3 database every SQLite repository prepares its statements on. */
export type Db = Database.Database;
