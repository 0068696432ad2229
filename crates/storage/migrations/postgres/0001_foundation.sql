CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- Foundation schema (PostgreSQL). Mirrors ../sqlite/0001_foundation.sql: same tables, same columns.
-- Ids are UUID v7 stored as uuid; money is BIGINT kopecks; timestamps are timestamptz
-- written by the application (never now() defaults, to match SQLite); dates are date.

CREATE TABLE departments (
    id UUID PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    head_user_id UUID,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE territories (
    id UUID PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL
);

CREATE TABLE users (
    id UUID PRIMARY KEY,
    login TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    email TEXT,
    role TEXT NOT NULL,
    department_id UUID REFERENCES departments(id),
    password_hash TEXT,
    locale TEXT NOT NULL DEFAULT 'ru',
    is_active BOOLEAN NOT NULL DEFAULT TRUE,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX users_department ON users(department_id);

CREATE TABLE user_territories (
    user_id UUID NOT NULL REFERENCES users(id),
    territory_id UUID NOT NULL REFERENCES territories(id),
    PRIMARY KEY (user_id, territory_id)
);

CREATE TABLE api_tokens (
    id UUID PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users(id),
    token_hash TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ,
    revoked_at TIMESTAMPTZ
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);

CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users(id),
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE price_columns (
    id UUID PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    sort_order INTEGER NOT NULL
);

CREATE TABLE products (
    id UUID PRIMARY KEY,
    sku TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    group_name TEXT NOT NULL,
    unit TEXT NOT NULL,
    vat_rate TEXT NOT NULL,
    cost_price BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE product_prices (
    product_id UUID NOT NULL REFERENCES products(id),
    price_column_id UUID NOT NULL REFERENCES price_columns(id),
    valid_from DATE NOT NULL,
    price BIGINT NOT NULL,
    PRIMARY KEY (product_id, price_column_id, valid_from)
);

CREATE TABLE counterparties (
    id UUID PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    full_name TEXT NOT NULL,
    inn TEXT,
    kpp TEXT,
    ogrn TEXT,
    search_key TEXT NOT NULL,
    industry TEXT,
    size TEXT,
    territory_id UUID REFERENCES territories(id),
    lead_source TEXT,
    status TEXT NOT NULL,
    tier TEXT NOT NULL,
    owner_id UUID REFERENCES users(id),
    department_id UUID REFERENCES departments(id),
    price_column_id UUID REFERENCES price_columns(id),
    payment_terms_days INTEGER NOT NULL DEFAULT 0,
    credit_limit BIGINT NOT NULL DEFAULT 0,
    legal_address TEXT,
    actual_address TEXT,
    city TEXT,
    phone TEXT,
    email TEXT,
    notes TEXT,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    archived_at TIMESTAMPTZ
);
CREATE INDEX counterparties_owner ON counterparties(owner_id, name);
CREATE INDEX counterparties_department ON counterparties(department_id);
CREATE INDEX counterparties_inn ON counterparties(inn);

CREATE TABLE bank_accounts (
    id UUID PRIMARY KEY,
    counterparty_id UUID NOT NULL REFERENCES counterparties(id),
    bik TEXT NOT NULL,
    account TEXT NOT NULL,
    corr_account TEXT,
    bank_name TEXT NOT NULL
);
CREATE INDEX bank_accounts_counterparty ON bank_accounts(counterparty_id);

CREATE TABLE contacts (
    id UUID PRIMARY KEY,
    counterparty_id UUID NOT NULL REFERENCES counterparties(id),
    full_name TEXT NOT NULL,
    position TEXT,
    decision_role TEXT,
    phone TEXT,
    email TEXT,
    birthday DATE,
    consent_ads BOOLEAN NOT NULL DEFAULT FALSE,
    consent_pd BOOLEAN NOT NULL DEFAULT FALSE,
    search_key TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX contacts_counterparty ON contacts(counterparty_id);

CREATE TABLE activities (
    id UUID PRIMARY KEY,
    counterparty_id UUID NOT NULL REFERENCES counterparties(id),
    contact_id UUID REFERENCES contacts(id),
    owner_id UUID REFERENCES users(id),
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    planned_at TIMESTAMPTZ NOT NULL,
    duration_min INTEGER NOT NULL DEFAULT 30,
    done_at TIMESTAMPTZ,
    result TEXT,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX activities_counterparty ON activities(counterparty_id, planned_at);
CREATE INDEX activities_owner ON activities(owner_id, planned_at);

CREATE TABLE deals (
    id UUID PRIMARY KEY,
    counterparty_id UUID NOT NULL REFERENCES counterparties(id),
    owner_id UUID REFERENCES users(id),
    title TEXT NOT NULL,
    stage TEXT NOT NULL,
    amount BIGINT NOT NULL,
    probability INTEGER NOT NULL,
    expected_close DATE,
    lost_reason TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX deals_counterparty ON deals(counterparty_id);
CREATE INDEX deals_owner ON deals(owner_id, stage);

CREATE TABLE orders (
    id UUID PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    counterparty_id UUID NOT NULL REFERENCES counterparties(id),
    owner_id UUID REFERENCES users(id),
    status TEXT NOT NULL,
    ordered_on DATE NOT NULL,
    total BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX orders_counterparty ON orders(counterparty_id, ordered_on);

CREATE TABLE invoices (
    id UUID PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    counterparty_id UUID NOT NULL REFERENCES counterparties(id),
    order_id UUID REFERENCES orders(id),
    issued_on DATE NOT NULL,
    due_on DATE NOT NULL,
    total BIGINT NOT NULL,
    paid BIGINT NOT NULL DEFAULT 0,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX invoices_counterparty ON invoices(counterparty_id, due_on);

CREATE TABLE invoice_lines (
    invoice_id UUID NOT NULL REFERENCES invoices(id),
    line_no INTEGER NOT NULL,
    product_id UUID NOT NULL REFERENCES products(id),
    quantity BIGINT NOT NULL,
    price BIGINT NOT NULL,
    amount BIGINT NOT NULL,
    vat_amount BIGINT NOT NULL,
    PRIMARY KEY (invoice_id, line_no)
);

CREATE TABLE payments (
    id UUID PRIMARY KEY,
    counterparty_id UUID NOT NULL REFERENCES counterparties(id),
    paid_on DATE NOT NULL,
    amount BIGINT NOT NULL,
    doc_number TEXT NOT NULL,
    purpose TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX payments_counterparty ON payments(counterparty_id, paid_on);

CREATE TABLE payment_allocations (
    payment_id UUID NOT NULL REFERENCES payments(id),
    invoice_id UUID NOT NULL REFERENCES invoices(id),
    amount BIGINT NOT NULL,
    PRIMARY KEY (payment_id, invoice_id)
);

CREATE TABLE audit_log (
    id UUID PRIMARY KEY,
    at TIMESTAMPTZ NOT NULL,
    actor_id UUID,
    on_behalf_of_id UUID,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id UUID,
    changes TEXT NOT NULL,
    ip TEXT
);
CREATE INDEX audit_log_entity ON audit_log(entity, entity_id);
CREATE INDEX audit_log_at ON audit_log(at);

-- The audit log is append-only: the database itself refuses edits and deletions.
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
