-- Contact plan (issue 5): activities become editable plans with an outcome.
-- status: planned | done | not_done (done_at stays the moment it was marked).
-- follows_id: the activity whose "next step" created this one; series_id: copies of a
-- recurring visit share it. version: optimistic locking like every other record.
ALTER TABLE activities ADD COLUMN deal_id UUID REFERENCES deals(id);
ALTER TABLE activities ADD COLUMN status TEXT NOT NULL DEFAULT 'planned';
ALTER TABLE activities ADD COLUMN next_step TEXT;
ALTER TABLE activities ADD COLUMN follows_id UUID REFERENCES activities(id);
ALTER TABLE activities ADD COLUMN series_id UUID;
ALTER TABLE activities ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE activities ADD COLUMN updated_at TIMESTAMPTZ;
UPDATE activities SET status = 'done' WHERE done_at IS NOT NULL;

-- When the client last heard from us, and last saw us: kept by the activity service in the
-- same transaction that marks a contact done, so "whom to contact now" needs no scan of history.
ALTER TABLE counterparties ADD COLUMN last_contact_at TIMESTAMPTZ;
ALTER TABLE counterparties ADD COLUMN last_visit_at TIMESTAMPTZ;
UPDATE counterparties SET
    last_contact_at = (SELECT MAX(a.done_at) FROM activities a WHERE a.counterparty_id = counterparties.id
        AND a.status = 'done' AND a.kind IN ('call', 'visit', 'meeting', 'email', 'letter')),
    last_visit_at = (SELECT MAX(a.done_at) FROM activities a WHERE a.counterparty_id = counterparties.id
        AND a.status = 'done' AND a.kind IN ('visit', 'meeting'));

-- Contact-frequency rules: one JSON list per department ('company' for the defaults), set as a
-- whole by the head, versioned so two heads editing at once do not overwrite each other.
CREATE TABLE contact_rule_sets (
    scope TEXT PRIMARY KEY,
    rules TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    updated_by UUID REFERENCES users(id),
    updated_at TIMESTAMPTZ NOT NULL
);

-- Calendar feeds: a secret URL per manager for the phone's calendar. Only the SHA-256 of the
-- token is kept; a new feed revokes the old one.
CREATE TABLE calendar_feeds (
    id UUID PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users(id),
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ
);
CREATE INDEX calendar_feeds_user ON calendar_feeds(user_id);
-- The plan ahead (and plans left unmarked) per user, with what the ranked list needs.
CREATE INDEX activities_planned ON activities(owner_id, planned_at, counterparty_id, kind) WHERE status = 'planned';

-- "Whom to contact now" reads, for all of a manager's clients at once, the order rhythm, the
-- unpaid overdue invoices, the open deals and the plan's statuses: covering indexes let each of
-- those grouped queries answer from the index alone instead of visiting thousands of rows.
DROP INDEX activities_owner;
CREATE INDEX activities_owner ON activities(owner_id, planned_at, status, kind);
DROP INDEX orders_counterparty;
CREATE INDEX orders_counterparty ON orders(counterparty_id, ordered_on, status, total);
DROP INDEX deals_counterparty;
CREATE INDEX deals_counterparty ON deals(counterparty_id, stage, expected_close);
CREATE INDEX invoices_unpaid ON invoices(counterparty_id, due_on, total, paid) WHERE paid < total;
