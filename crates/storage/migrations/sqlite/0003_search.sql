-- Search (issue 4), SQLite side. Mirrors ../postgres/0003_search.sql: both index the same
-- words of `search_key` and keep the same vocabulary; only the machinery differs (FTS5 here,
-- GIN and pg_trgm there). How the indexes are queried: crates/storage/src/repo/search.rs.
--
-- * `counterparties_fts`, `contacts_fts`: a word index (FTS5, unicode61 tokenizer) over
--   `search_key`, which already holds the folded text (lower case, ё → е). External content:
--   the text is not stored twice. The FTS rowid is the base table's rowid, which SQLite
--   keeps for tables that have indexes (VACUUM and VACUUM INTO included). A migration that
--   rebuilds either table must re-create these triggers and run the 'rebuild' below.
--   detail=none and columnsize=0: lookups are by whole words only, never by phrase or rank.
-- * `search_vocabulary`: every distinct word (2–64 letters, no digits) ever indexed, per kind
--   of record, with a trigram index. The vocabulary is small next to the records, so a word
--   typed with a typo or a fragment of a word is first resolved against it and the records
--   are then looked up by exact words — only by words that occur in that kind of record, so
--   a company word is never looked up among contacts. Words are never removed: a stale word
--   costs one lookup that finds nothing.
--
-- Words of the vocabulary are `search_key` split at the separators listed in the triggers (the
-- same list as the PostgreSQL regular expression): nested replace() calls turn each into a
-- space, in stages of twelve (older SQLite parsers, e.g. a 3.40 shell, overflow on deeper
-- nesting and would then refuse to read the schema), each skipped by a GLOB when the key
-- holds only letters, digits and spaces, as most people's names do (the replace() calls are
-- the costliest part of a bulk insert); the recursive CTE splits at spaces. Triggers keep all of it in step with
-- INSERT, UPDATE and DELETE of the records.

CREATE TABLE search_vocabulary (
    id INTEGER PRIMARY KEY,
    word TEXT NOT NULL,
    -- Where the word occurs: 'counterparty' or 'contact'.
    kind TEXT NOT NULL,
    UNIQUE (word, kind)
);

CREATE VIRTUAL TABLE search_vocabulary_fts USING fts5(
    word,
    content = 'search_vocabulary', content_rowid = 'id',
    tokenize = 'trigram'
);

CREATE TRIGGER search_vocabulary_insert AFTER INSERT ON search_vocabulary BEGIN
    INSERT INTO search_vocabulary_fts (rowid, word) VALUES (new.id, new.word);
END;

CREATE VIRTUAL TABLE counterparties_fts USING fts5(
    search_key,
    content = 'counterparties', content_rowid = 'rowid',
    tokenize = 'unicode61 remove_diacritics 0', detail = none, columnsize = 0
);

CREATE TRIGGER counterparties_search_insert AFTER INSERT ON counterparties BEGIN
    INSERT INTO counterparties_fts (rowid, search_key) VALUES (new.rowid, new.search_key);
    INSERT INTO search_vocabulary (word, kind)
    WITH RECURSIVE
        k1(k) AS (SELECT CASE WHEN new.search_key GLOB '*[^ 0-9a-zа-яё]*' THEN replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(new.search_key, char(9), ' '), char(10), ' '), char(13), ' '), '"', ' '), '''', ' '), '«', ' '), '»', ' '), '„', ' '), '“', ' '), '”', ' '), '‘', ' '), '’', ' ') ELSE new.search_key END),
        k2(k) AS (SELECT CASE WHEN k GLOB '*[^ 0-9a-zа-яё]*' THEN replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(k, '(', ' '), ')', ' '), '[', ' '), ']', ' '), ',', ' '), '.', ' '), '/', ' '), '\', ' '), '&', ' '), '+', ' '), '№', ' '), ':', ' ') ELSE k END FROM k1),
        k3(k) AS (SELECT CASE WHEN k GLOB '*[^ 0-9a-zа-яё]*' THEN replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(k, ';', ' '), '!', ' '), '?', ' '), '*', ' '), '#', ' '), '_', ' '), '|', ' '), '–', ' '), '—', ' '), '-', ' ') ELSE k END FROM k2),
        split(word, rest) AS (
            SELECT '', k || ' ' FROM k3
            UNION ALL
            SELECT substr(rest, 1, instr(rest, ' ') - 1), substr(rest, instr(rest, ' ') + 1) FROM split WHERE rest <> ''
        )
    SELECT DISTINCT word, 'counterparty' FROM split
    WHERE length(word) BETWEEN 2 AND 64 AND word NOT GLOB '*[0-9]*'
      AND NOT EXISTS (SELECT 1 FROM search_vocabulary v WHERE v.word = split.word AND v.kind = 'counterparty');
END;

CREATE TRIGGER counterparties_search_update AFTER UPDATE OF search_key ON counterparties
WHEN old.search_key IS NOT new.search_key BEGIN
    INSERT INTO counterparties_fts (counterparties_fts, rowid, search_key) VALUES ('delete', old.rowid, old.search_key);
    INSERT INTO counterparties_fts (rowid, search_key) VALUES (new.rowid, new.search_key);
    INSERT INTO search_vocabulary (word, kind)
    WITH RECURSIVE
        k1(k) AS (SELECT CASE WHEN new.search_key GLOB '*[^ 0-9a-zа-яё]*' THEN replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(new.search_key, char(9), ' '), char(10), ' '), char(13), ' '), '"', ' '), '''', ' '), '«', ' '), '»', ' '), '„', ' '), '“', ' '), '”', ' '), '‘', ' '), '’', ' ') ELSE new.search_key END),
        k2(k) AS (SELECT CASE WHEN k GLOB '*[^ 0-9a-zа-яё]*' THEN replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(k, '(', ' '), ')', ' '), '[', ' '), ']', ' '), ',', ' '), '.', ' '), '/', ' '), '\', ' '), '&', ' '), '+', ' '), '№', ' '), ':', ' ') ELSE k END FROM k1),
        k3(k) AS (SELECT CASE WHEN k GLOB '*[^ 0-9a-zа-яё]*' THEN replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(k, ';', ' '), '!', ' '), '?', ' '), '*', ' '), '#', ' '), '_', ' '), '|', ' '), '–', ' '), '—', ' '), '-', ' ') ELSE k END FROM k2),
        split(word, rest) AS (
            SELECT '', k || ' ' FROM k3
            UNION ALL
            SELECT substr(rest, 1, instr(rest, ' ') - 1), substr(rest, instr(rest, ' ') + 1) FROM split WHERE rest <> ''
        )
    SELECT DISTINCT word, 'counterparty' FROM split
    WHERE length(word) BETWEEN 2 AND 64 AND word NOT GLOB '*[0-9]*'
      AND NOT EXISTS (SELECT 1 FROM search_vocabulary v WHERE v.word = split.word AND v.kind = 'counterparty');
END;

CREATE TRIGGER counterparties_search_delete AFTER DELETE ON counterparties BEGIN
    INSERT INTO counterparties_fts (counterparties_fts, rowid, search_key) VALUES ('delete', old.rowid, old.search_key);
END;

CREATE VIRTUAL TABLE contacts_fts USING fts5(
    search_key,
    content = 'contacts', content_rowid = 'rowid',
    tokenize = 'unicode61 remove_diacritics 0', detail = none, columnsize = 0
);

CREATE TRIGGER contacts_search_insert AFTER INSERT ON contacts BEGIN
    INSERT INTO contacts_fts (rowid, search_key) VALUES (new.rowid, new.search_key);
    INSERT INTO search_vocabulary (word, kind)
    WITH RECURSIVE
        k1(k) AS (SELECT CASE WHEN new.search_key GLOB '*[^ 0-9a-zа-яё]*' THEN replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(new.search_key, char(9), ' '), char(10), ' '), char(13), ' '), '"', ' '), '''', ' '), '«', ' '), '»', ' '), '„', ' '), '“', ' '), '”', ' '), '‘', ' '), '’', ' ') ELSE new.search_key END),
        k2(k) AS (SELECT CASE WHEN k GLOB '*[^ 0-9a-zа-яё]*' THEN replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(k, '(', ' '), ')', ' '), '[', ' '), ']', ' '), ',', ' '), '.', ' '), '/', ' '), '\', ' '), '&', ' '), '+', ' '), '№', ' '), ':', ' ') ELSE k END FROM k1),
        k3(k) AS (SELECT CASE WHEN k GLOB '*[^ 0-9a-zа-яё]*' THEN replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(k, ';', ' '), '!', ' '), '?', ' '), '*', ' '), '#', ' '), '_', ' '), '|', ' '), '–', ' '), '—', ' '), '-', ' ') ELSE k END FROM k2),
        split(word, rest) AS (
            SELECT '', k || ' ' FROM k3
            UNION ALL
            SELECT substr(rest, 1, instr(rest, ' ') - 1), substr(rest, instr(rest, ' ') + 1) FROM split WHERE rest <> ''
        )
    SELECT DISTINCT word, 'contact' FROM split
    WHERE length(word) BETWEEN 2 AND 64 AND word NOT GLOB '*[0-9]*'
      AND NOT EXISTS (SELECT 1 FROM search_vocabulary v WHERE v.word = split.word AND v.kind = 'contact');
END;

CREATE TRIGGER contacts_search_update AFTER UPDATE OF search_key ON contacts
WHEN old.search_key IS NOT new.search_key BEGIN
    INSERT INTO contacts_fts (contacts_fts, rowid, search_key) VALUES ('delete', old.rowid, old.search_key);
    INSERT INTO contacts_fts (rowid, search_key) VALUES (new.rowid, new.search_key);
    INSERT INTO search_vocabulary (word, kind)
    WITH RECURSIVE
        k1(k) AS (SELECT CASE WHEN new.search_key GLOB '*[^ 0-9a-zа-яё]*' THEN replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(new.search_key, char(9), ' '), char(10), ' '), char(13), ' '), '"', ' '), '''', ' '), '«', ' '), '»', ' '), '„', ' '), '“', ' '), '”', ' '), '‘', ' '), '’', ' ') ELSE new.search_key END),
        k2(k) AS (SELECT CASE WHEN k GLOB '*[^ 0-9a-zа-яё]*' THEN replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(k, '(', ' '), ')', ' '), '[', ' '), ']', ' '), ',', ' '), '.', ' '), '/', ' '), '\', ' '), '&', ' '), '+', ' '), '№', ' '), ':', ' ') ELSE k END FROM k1),
        k3(k) AS (SELECT CASE WHEN k GLOB '*[^ 0-9a-zа-яё]*' THEN replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(k, ';', ' '), '!', ' '), '?', ' '), '*', ' '), '#', ' '), '_', ' '), '|', ' '), '–', ' '), '—', ' '), '-', ' ') ELSE k END FROM k2),
        split(word, rest) AS (
            SELECT '', k || ' ' FROM k3
            UNION ALL
            SELECT substr(rest, 1, instr(rest, ' ') - 1), substr(rest, instr(rest, ' ') + 1) FROM split WHERE rest <> ''
        )
    SELECT DISTINCT word, 'contact' FROM split
    WHERE length(word) BETWEEN 2 AND 64 AND word NOT GLOB '*[0-9]*'
      AND NOT EXISTS (SELECT 1 FROM search_vocabulary v WHERE v.word = split.word AND v.kind = 'contact');
END;

CREATE TRIGGER contacts_search_delete AFTER DELETE ON contacts BEGIN
    INSERT INTO contacts_fts (contacts_fts, rowid, search_key) VALUES ('delete', old.rowid, old.search_key);
END;

-- Backfill what existed before this migration.
INSERT INTO counterparties_fts (counterparties_fts) VALUES ('rebuild');
INSERT INTO contacts_fts (contacts_fts) VALUES ('rebuild');
INSERT INTO search_vocabulary (word, kind)
WITH RECURSIVE
    k1(k) AS (SELECT CASE WHEN search_key GLOB '*[^ 0-9a-zа-яё]*' THEN replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(search_key, char(9), ' '), char(10), ' '), char(13), ' '), '"', ' '), '''', ' '), '«', ' '), '»', ' '), '„', ' '), '“', ' '), '”', ' '), '‘', ' '), '’', ' ') ELSE search_key END FROM counterparties),
    k2(k) AS (SELECT CASE WHEN k GLOB '*[^ 0-9a-zа-яё]*' THEN replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(k, '(', ' '), ')', ' '), '[', ' '), ']', ' '), ',', ' '), '.', ' '), '/', ' '), '\', ' '), '&', ' '), '+', ' '), '№', ' '), ':', ' ') ELSE k END FROM k1),
    k3(k) AS (SELECT CASE WHEN k GLOB '*[^ 0-9a-zа-яё]*' THEN replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(k, ';', ' '), '!', ' '), '?', ' '), '*', ' '), '#', ' '), '_', ' '), '|', ' '), '–', ' '), '—', ' '), '-', ' ') ELSE k END FROM k2),
    split(word, rest) AS (
        SELECT '', k || ' ' FROM k3
        UNION ALL
        SELECT substr(rest, 1, instr(rest, ' ') - 1), substr(rest, instr(rest, ' ') + 1) FROM split WHERE rest <> ''
    )
SELECT DISTINCT word, 'counterparty' FROM split
WHERE length(word) BETWEEN 2 AND 64 AND word NOT GLOB '*[0-9]*'
  AND NOT EXISTS (SELECT 1 FROM search_vocabulary v WHERE v.word = split.word AND v.kind = 'counterparty');
INSERT INTO search_vocabulary (word, kind)
WITH RECURSIVE
    k1(k) AS (SELECT CASE WHEN search_key GLOB '*[^ 0-9a-zа-яё]*' THEN replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(search_key, char(9), ' '), char(10), ' '), char(13), ' '), '"', ' '), '''', ' '), '«', ' '), '»', ' '), '„', ' '), '“', ' '), '”', ' '), '‘', ' '), '’', ' ') ELSE search_key END FROM contacts),
    k2(k) AS (SELECT CASE WHEN k GLOB '*[^ 0-9a-zа-яё]*' THEN replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(k, '(', ' '), ')', ' '), '[', ' '), ']', ' '), ',', ' '), '.', ' '), '/', ' '), '\', ' '), '&', ' '), '+', ' '), '№', ' '), ':', ' ') ELSE k END FROM k1),
    k3(k) AS (SELECT CASE WHEN k GLOB '*[^ 0-9a-zа-яё]*' THEN replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(k, ';', ' '), '!', ' '), '?', ' '), '*', ' '), '#', ' '), '_', ' '), '|', ' '), '–', ' '), '—', ' '), '-', ' ') ELSE k END FROM k2),
    split(word, rest) AS (
        SELECT '', k || ' ' FROM k3
        UNION ALL
        SELECT substr(rest, 1, instr(rest, ' ') - 1), substr(rest, instr(rest, ' ') + 1) FROM split WHERE rest <> ''
    )
SELECT DISTINCT word, 'contact' FROM split
WHERE length(word) BETWEEN 2 AND 64 AND word NOT GLOB '*[0-9]*'
  AND NOT EXISTS (SELECT 1 FROM search_vocabulary v WHERE v.word = split.word AND v.kind = 'contact');

-- Identifier lookups: exact values and prefixes as B-tree ranges (`inn` is indexed since 0001).
-- E-mail addresses are compared in lower case.
CREATE INDEX counterparties_ogrn ON counterparties (ogrn);
CREATE INDEX counterparties_phone ON counterparties (phone);
CREATE INDEX counterparties_email ON counterparties (lower(email));
CREATE INDEX contacts_phone ON contacts (phone);
CREATE INDEX contacts_email ON contacts (lower(email));
