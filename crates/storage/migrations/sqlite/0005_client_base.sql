-- Client base (issue 4): the rest of C1's fields, merge bookkeeping, import keys.
-- external_id: the record's code in another system (1C, a spreadsheet) so a re-import updates
-- instead of duplicating. needs: what the client needs, its level and direction (free text).
-- tags: lower-case labels joined as ",a,b," so one tag is found with LIKE '%,a,%'.
-- name_key: the name without legal form, quotes and punctuation (domain::counterparty::name_key),
-- so "ООО «Ромашка»" and "Ромашка ООО" meet in the duplicate report when in the same city.
-- merged_into: set on a record folded into another by a merge; the record stays (archived)
-- with its own history, so nothing is lost and old links still resolve.
ALTER TABLE counterparties ADD COLUMN external_id TEXT;
ALTER TABLE counterparties ADD COLUMN needs TEXT;
ALTER TABLE counterparties ADD COLUMN tags TEXT;
ALTER TABLE counterparties ADD COLUMN name_key TEXT;
ALTER TABLE counterparties ADD COLUMN merged_into BLOB REFERENCES counterparties(id);
CREATE UNIQUE INDEX counterparties_external_id ON counterparties(external_id) WHERE external_id IS NOT NULL;
CREATE INDEX counterparties_name_key ON counterparties(name_key, city);

-- Contacts: messengers (free text, e.g. "Telegram @ivanov"), and where and when consent to
-- advertising / personal-data processing was given (152-FZ asks to be able to prove it).
ALTER TABLE contacts ADD COLUMN messengers TEXT;
ALTER TABLE contacts ADD COLUMN consent_at TEXT;
ALTER TABLE contacts ADD COLUMN consent_source TEXT;
