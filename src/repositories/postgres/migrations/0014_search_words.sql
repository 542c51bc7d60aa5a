-- Full text is indexed as words, the way SQLite's FTS5 (unicode61) and the query side (queryWords) split text:
-- ASCII punctuation separates words. PostgreSQL's parser alone keeps `src/auth/jwt.ts`, `a@b.io`, `v1.2.3` or
-- `https://…` as one token each, so a search for `jwt` missed the message naming `jwt.ts` on PostgreSQL while SQLite
-- found it. Rewrites both tables once (PostgreSQL 15 cannot change a generated column's expression in place).
ALTER TABLE messages DROP COLUMN search;
ALTER TABLE messages ADD COLUMN search tsvector GENERATED ALWAYS AS (
  to_tsvector('english', translate(content, $$!"#$%&'()*+,-./:;<=>?@[\]^_`{|}~$$, '                                '))
) STORED;
CREATE INDEX messages_search_idx ON messages USING gin (search);

ALTER TABLE reflections DROP COLUMN search;
ALTER TABLE reflections ADD COLUMN search tsvector GENERATED ALWAYS AS (
  to_tsvector('english', translate(content, $$!"#$%&'()*+,-./:;<=>?@[\]^_`{|}~$$, '                                '))
) STORED;
CREATE INDEX reflections_search_idx ON reflections USING gin (search);
