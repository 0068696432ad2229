-- Search (issue 4), PostgreSQL side. Mirrors ../sqlite/0003_search.sql: both index the same
-- words of `search_key` and keep the same vocabulary; only the machinery differs (GIN and
-- pg_trgm here, FTS5 there). How the indexes are queried: crates/storage/src/repo/search.rs.
--
-- * `search_words` (counterparties, contacts): the words of `search_key` as an array, with a
--   GIN index. A stored generated column rather than an expression index so that checking
--   a row against it is cheap: the planner may then filter a manager's few thousand rows
--   instead of intersecting a bitmap of every row holding a common word.
-- * `search_vocabulary`: every distinct word (2–64 letters, no digits) ever indexed, per kind
--   of record, with a trigram index (pg_trgm, created in 0001) for fragments and typos and a
--   pattern index for prefixes. A word typed with a typo or a fragment of a word is first
--   resolved against the vocabulary, then records are looked up by exact words — only by
--   words that occur in that kind of record. Besides saving lookups, that keeps the planner's
--   estimates honest: a word absent from a table would be guessed as common there, and with
--   LIMIT the planner would then scan the table hoping to stop early. Words are never
--   removed: a stale word costs one lookup that finds nothing.
--
-- Words are `search_key` split at the separators below — the same list as the nested
-- replace() of the SQLite migration — so both databases hold the same vocabulary.

CREATE FUNCTION prospekt_search_words(key text) RETURNS text[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT regexp_split_to_array(key, '[] \t\n\r"''«»„“”‘’()[,./\\&+№:;!?*#_|–—-]+') $$;

ALTER TABLE counterparties
    ADD COLUMN search_words text[] GENERATED ALWAYS AS (prospekt_search_words(search_key)) STORED;
ALTER TABLE contacts
    ADD COLUMN search_words text[] GENERATED ALWAYS AS (prospekt_search_words(search_key)) STORED;
CREATE INDEX counterparties_search_words ON counterparties USING gin (search_words);
CREATE INDEX contacts_search_words ON contacts USING gin (search_words);

CREATE TABLE search_vocabulary (
    word TEXT NOT NULL,
    -- Where the word occurs: 'counterparty' or 'contact'.
    kind TEXT NOT NULL,
    PRIMARY KEY (word, kind)
);
CREATE INDEX search_vocabulary_trgm ON search_vocabulary USING gin (word gin_trgm_ops);
CREATE INDEX search_vocabulary_prefix ON search_vocabulary (word text_pattern_ops);

-- Statement-level triggers with transition tables: a bulk COPY adds its new words in one
-- set-based INSERT instead of one call per row. Words go in sorted order so that two
-- transactions adding the same new words wait for each other instead of deadlocking.
-- The kind of record is the trigger's argument.
CREATE FUNCTION prospekt_collect_search_words() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_vocabulary (word, kind)
    SELECT DISTINCT w, TG_ARGV[0] FROM changed_rows, unnest(changed_rows.search_words) AS w
    WHERE length(w) BETWEEN 2 AND 64 AND w !~ '[0-9]'
    ORDER BY w
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;

CREATE TRIGGER counterparties_search_insert AFTER INSERT ON counterparties
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION prospekt_collect_search_words('counterparty');
CREATE TRIGGER counterparties_search_update AFTER UPDATE ON counterparties
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION prospekt_collect_search_words('counterparty');
CREATE TRIGGER contacts_search_insert AFTER INSERT ON contacts
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION prospekt_collect_search_words('contact');
CREATE TRIGGER contacts_search_update AFTER UPDATE ON contacts
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION prospekt_collect_search_words('contact');

-- Backfill what existed before this migration.
INSERT INTO search_vocabulary (word, kind)
SELECT DISTINCT w, kind FROM (
    SELECT unnest(search_words) AS w, 'counterparty' AS kind FROM counterparties
    UNION ALL
    SELECT unnest(search_words), 'contact' FROM contacts
) s
WHERE length(w) BETWEEN 2 AND 64 AND w !~ '[0-9]'
ON CONFLICT DO NOTHING;

-- Identifier lookups: exact values and prefixes (LIKE 'prefix%' needs the pattern operator
-- class unless the database collation is C). E-mail addresses are compared in lower case.
CREATE INDEX counterparties_inn_prefix ON counterparties (inn text_pattern_ops);
CREATE INDEX counterparties_ogrn ON counterparties (ogrn text_pattern_ops);
CREATE INDEX counterparties_phone ON counterparties (phone text_pattern_ops);
CREATE INDEX counterparties_email ON counterparties (lower(email) text_pattern_ops);
CREATE INDEX contacts_phone ON contacts (phone text_pattern_ops);
CREATE INDEX contacts_email ON contacts (lower(email) text_pattern_ops);
