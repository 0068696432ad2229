-- The client base (issue 4) keeps one INN index on PostgreSQL, not two. `counterparties_inn`
-- (0001) and `counterparties_inn_prefix` (0003, text_pattern_ops) hold the same keys, and
-- the pattern index answers equality as well as prefixes, so every lookup by INN can use it.
-- Each new counterparty was written into both: on a million-row import the plain one cost
-- about 2.5 s of the database's time. SQLite has a single INN index and no counterpart here.
DROP INDEX IF EXISTS counterparties_inn;
