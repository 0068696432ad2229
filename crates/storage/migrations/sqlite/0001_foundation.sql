-- Foundation schema (SQLite). Mirrors ../postgres/0001_foundation.sql: same tables, same columns.
-- Ids are UUID v7 stored as 16-byte BLOBs; money is BIGINT kopecks; timestamps are UTC
-- RFC 3339 text written by the application (never CURRENT_TIMESTAMP); dates are ISO text.

CREATE TABLE departments (
    id BLOB PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    head_user_id BLOB,
    created_at TEXT NOT NULL
);

CREATE TABLE territories (
    id BLOB PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL
);

CREATE TABLE users (
    id BLOB PRIMARY KEY,
    login TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    email TEXT,
    role TEXT NOT NULL,
    department_id BLOB REFERENCES departments(id),
    password_hash TEXT,
    locale TEXT NOT NULL DEFAULT 'ru',
    is_active INTEGER NOT NULL DEFAULT 1,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX users_department ON users(department_id);

CREATE TABLE user_territories (
    user_id BLOB NOT NULL REFERENCES users(id),
    territory_id BLOB NOT NULL REFERENCES territories(id),
    PRIMARY KEY (user_id, territory_id)
);

CREATE TABLE api_tokens (
    id BLOB PRIMARY KEY,
    user_id BLOB NOT NULL REFERENCES users(id),
    token_hash TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT,
    revoked_at TEXT
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);

CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    user_id BLOB NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE price_columns (
    id BLOB PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    sort_order INTEGER NOT NULL
);

CREATE TABLE products (
    id BLOB PRIMARY KEY,
    sku TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    group_name TEXT NOT NULL,
    unit TEXT NOT NULL,
    vat_rate TEXT NOT NULL,
    cost_price BIGINT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE product_prices (
    product_id BLOB NOT NULL REFERENCES products(id),
    price_column_id BLOB NOT NULL REFERENCES price_columns(id),
    valid_from TEXT NOT NULL,
    price BIGINT NOT NULL,
    PRIMARY KEY (product_id, price_column_id, valid_from)
);

CREATE TABLE counterparties (
    id BLOB PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    full_name TEXT NOT NULL,
    inn TEXT,
    kpp TEXT,
    ogrn TEXT,
    search_key TEXT NOT NULL,
    industry TEXT,
    size TEXT,
    territory_id BLOB REFERENCES territories(id),
    lead_source TEXT,
    status TEXT NOT NULL,
    tier TEXT NOT NULL,
    owner_id BLOB REFERENCES users(id),
    department_id BLOB REFERENCES departments(id),
    price_column_id BLOB REFERENCES price_columns(id),
    payment_terms_days INTEGER NOT NULL DEFAULT 0,
    credit_limit BIGINT NOT NULL DEFAULT 0,
    legal_address TEXT,
    actual_address TEXT,
    city TEXT,
    phone TEXT,
    email TEXT,
    notes TEXT,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    archived_at TEXT
);
CREATE INDEX counterparties_owner ON counterparties(owner_id, name);
CREATE INDEX counterparties_department ON counterparties(department_id);
CREATE INDEX counterparties_inn ON counterparties(inn);

CREATE TABLE bank_accounts (
    id BLOB PRIMARY KEY,
    counterparty_id BLOB NOT NULL REFERENCES counterparties(id),
    bik TEXT NOT NULL,
    account TEXT NOT NULL,
    corr_account TEXT,
    bank_name TEXT NOT NULL
);
CREATE INDEX bank_accounts_counterparty ON bank_accounts(counterparty_id);

CREATE TABLE contacts (
    id BLOB PRIMARY KEY,
    counterparty_id BLOB NOT NULL REFERENCES counterparties(id),
    full_name TEXT NOT NULL,
    position TEXT,
    decision_role TEXT,
    phone TEXT,
    email TEXT,
    birthday TEXT,
    consent_ads INTEGER NOT NULL DEFAULT 0,
    consent_pd INTEGER NOT NULL DEFAULT 0,
    search_key TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX contacts_counterparty ON contacts(counterparty_id);

CREATE TABLE activities (
    id BLOB PRIMARY KEY,
    counterparty_id BLOB NOT NULL REFERENCES counterparties(id),
    contact_id BLOB REFERENCES contacts(id),
    owner_id BLOB REFERENCES users(id),
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    planned_at TEXT NOT NULL,
    duration_min INTEGER NOT NULL DEFAULT 30,
    done_at TEXT,
    result TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX activities_counterparty ON activities(counterparty_id, planned_at);
CREATE INDEX activities_owner ON activities(owner_id, planned_at);

CREATE TABLE deals (
    id BLOB PRIMARY KEY,
    counterparty_id BLOB NOT NULL REFERENCES counterparties(id),
    owner_id BLOB REFERENCES users(id),
    title TEXT NOT NULL,
    stage TEXT NOT NULL,
    amount BIGINT NOT NULL,
    probability INTEGER NOT NULL,
    expected_close TEXT,
    lost_reason TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX deals_counterparty ON deals(counterparty_id);
CREATE INDEX deals_owner ON deals(owner_id, stage);

CREATE TABLE orders (
    id BLOB PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    counterparty_id BLOB NOT NULL REFERENCES counterparties(id),
    owner_id BLOB REFERENCES users(id),
    status TEXT NOT NULL,
    ordered_on TEXT NOT NULL,
    total BIGINT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX orders_counterparty ON orders(counterparty_id, ordered_on);

CREATE TABLE invoices (
    id BLOB PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    counterparty_id BLOB NOT NULL REFERENCES counterparties(id),
    order_id BLOB REFERENCES orders(id),
    issued_on TEXT NOT NULL,
    due_on TEXT NOT NULL,
    total BIGINT NOT NULL,
    paid BIGINT NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
CREATE INDEX invoices_counterparty ON invoices(counterparty_id, due_on);

CREATE TABLE invoice_lines (
    invoice_id BLOB NOT NULL REFERENCES invoices(id),
    line_no INTEGER NOT NULL,
    product_id BLOB NOT NULL REFERENCES products(id),
    quantity BIGINT NOT NULL,
    price BIGINT NOT NULL,
    amount BIGINT NOT NULL,
    vat_amount BIGINT NOT NULL,
    PRIMARY KEY (invoice_id, line_no)
);

CREATE TABLE payments (
    id BLOB PRIMARY KEY,
    counterparty_id BLOB NOT NULL REFERENCES counterparties(id),
    paid_on TEXT NOT NULL,
    amount BIGINT NOT NULL,
    doc_number TEXT NOT NULL,
    purpose TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX payments_counterparty ON payments(counterparty_id, paid_on);

CREATE TABLE payment_allocations (
    payment_id BLOB NOT NULL REFERENCES payments(id),
    invoice_id BLOB NOT NULL REFERENCES invoices(id),
    amount BIGINT NOT NULL,
    PRIMARY KEY (payment_id, invoice_id)
);

CREATE TABLE audit_log (
    id BLOB PRIMARY KEY,
    at TEXT NOT NULL,
    actor_id BLOB,
    on_behalf_of_id BLOB,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id BLOB,
    changes TEXT NOT NULL,
    ip TEXT
);
CREATE INDEX audit_log_entity ON audit_log(entity, entity_id);
CREATE INDEX audit_log_at ON audit_log(at);

-- The audit log is append-only: the database itself refuses edits and deletions.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
