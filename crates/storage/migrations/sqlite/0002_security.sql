-- Security: login throttling, absences (delegation), token bookkeeping.

-- Failed-login counters per key ("login:<login>" or "ip:<address>"). Kept in the database
-- so that every app server sees the same counts.
CREATE TABLE login_throttle (
    key TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    window_start TEXT NOT NULL,
    locked_until TEXT
);

-- An absence (leave, sick leave, business trip) with the colleague who stands in.
-- Scope is computed from these periods at request time, so delegation ends by itself.
CREATE TABLE absences (
    id BLOB PRIMARY KEY,
    user_id BLOB NOT NULL REFERENCES users(id),
    substitute_id BLOB NOT NULL REFERENCES users(id),
    kind TEXT NOT NULL,
    starts_on TEXT NOT NULL,
    ends_on TEXT NOT NULL,
    note TEXT,
    created_by BLOB REFERENCES users(id),
    created_at TEXT NOT NULL,
    CHECK (ends_on >= starts_on),
    CHECK (user_id <> substitute_id)
);
CREATE INDEX absences_substitute ON absences(substitute_id, starts_on, ends_on);
CREATE INDEX absences_user ON absences(user_id, starts_on);

ALTER TABLE api_tokens ADD COLUMN last_used_at TEXT;
CREATE INDEX audit_log_actor ON audit_log(actor_id, at);

-- Bulk export is its own permission (commercial secret), granted per user by an administrator.
ALTER TABLE users ADD COLUMN can_export INTEGER NOT NULL DEFAULT 0;
