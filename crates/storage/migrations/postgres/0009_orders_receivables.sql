-- Orders, shipments, invoices, payments, bank statements, receivables and collections (C10, C11).

-- Payment terms: the deferral counts calendar or banking days; a contract may set a penalty
-- instead of art. 395 interest, and a pre-trial claim term other than 30 days.
ALTER TABLE counterparties ADD COLUMN deferral_kind TEXT NOT NULL DEFAULT 'calendar';
ALTER TABLE counterparties ADD COLUMN penalty_daily_ppm INTEGER;
ALTER TABLE counterparties ADD COLUMN penalty_cap_bp INTEGER;
ALTER TABLE counterparties ADD COLUMN claim_term_days INTEGER NOT NULL DEFAULT 30;

-- Orders: who made them, when they moved, what the credit check saw, how far fulfilment got.
ALTER TABLE orders ADD COLUMN total_vat BIGINT NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN price_column_id UUID REFERENCES price_columns(id);
ALTER TABLE orders ADD COLUMN comment TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN credit_check TEXT;
ALTER TABLE orders ADD COLUMN credit_hold BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE orders ADD COLUMN shipped_amount BIGINT NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN invoiced_amount BIGINT NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN cancel_reason TEXT;
ALTER TABLE orders ADD COLUMN created_by UUID REFERENCES users(id);
ALTER TABLE orders ADD COLUMN submitted_at TIMESTAMPTZ;
ALTER TABLE orders ADD COLUMN updated_at TIMESTAMPTZ;
UPDATE orders SET status = CASE status WHEN 'new' THEN 'submitted' WHEN 'confirmed' THEN 'approved'
    WHEN 'shipped' THEN 'invoiced' ELSE status END;
UPDATE orders SET invoiced_amount = total, shipped_amount = total WHERE status IN ('invoiced', 'paid');
-- Orders still to be invoiced: what a client's credit exposure adds to its debt.
CREATE INDEX orders_open ON orders(counterparty_id) WHERE status IN ('submitted', 'approved', 'in_fulfilment', 'shipped', 'delivered');
CREATE INDEX orders_status ON orders(status, created_at);
CREATE INDEX orders_owner ON orders(owner_id, created_at);

ALTER TABLE order_lines ADD COLUMN shipped_qty BIGINT NOT NULL DEFAULT 0;
ALTER TABLE order_lines ADD COLUMN returned_qty BIGINT NOT NULL DEFAULT 0;

CREATE TABLE shipments (
    id UUID PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    order_id UUID NOT NULL REFERENCES orders(id),
    counterparty_id UUID NOT NULL REFERENCES counterparties(id),
    shipped_on DATE NOT NULL,
    delivered_on DATE,
    amount BIGINT NOT NULL,
    vat_amount BIGINT NOT NULL,
    invoice_id UUID REFERENCES invoices(id),
    created_by UUID REFERENCES users(id),
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX shipments_order ON shipments(order_id);
CREATE INDEX shipments_counterparty ON shipments(counterparty_id, shipped_on);

CREATE TABLE shipment_lines (
    shipment_id UUID NOT NULL REFERENCES shipments(id),
    line_no INTEGER NOT NULL,
    order_line_no INTEGER NOT NULL,
    product_id UUID NOT NULL REFERENCES products(id),
    quantity BIGINT NOT NULL,
    price BIGINT NOT NULL,
    amount BIGINT NOT NULL,
    vat_amount BIGINT NOT NULL,
    PRIMARY KEY (shipment_id, line_no)
);

-- Invoices: settled by payments (paid), credit notes for returns and accepted acts (credited)
-- and approved write-offs (written_off). Open = total - paid - credited - written_off.
ALTER TABLE invoices ADD COLUMN shipment_id UUID REFERENCES shipments(id);
ALTER TABLE invoices ADD COLUMN vat_amount BIGINT NOT NULL DEFAULT 0;
ALTER TABLE invoices ADD COLUMN credited BIGINT NOT NULL DEFAULT 0;
ALTER TABLE invoices ADD COLUMN written_off BIGINT NOT NULL DEFAULT 0;
ALTER TABLE invoices ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
-- Aging and balances read only open invoices; this index holds nothing else.
CREATE INDEX invoices_open ON invoices(counterparty_id, due_on) WHERE paid + credited + written_off < total;
CREATE INDEX invoices_issued ON invoices(issued_on, total);
CREATE INDEX invoices_order ON invoices(order_id);

-- Payments: how much of each is allocated (the rest is the client's advance / credit balance).
ALTER TABLE payments ADD COLUMN allocated BIGINT NOT NULL DEFAULT 0;
ALTER TABLE payments ADD COLUMN source TEXT NOT NULL DEFAULT 'manual';
ALTER TABLE payments ADD COLUMN payer_inn TEXT;
ALTER TABLE payments ADD COLUMN created_by UUID REFERENCES users(id);
ALTER TABLE payments ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
UPDATE payments SET allocated = COALESCE((SELECT SUM(a.amount) FROM payment_allocations a WHERE a.payment_id = payments.id), 0);
CREATE INDEX payments_unallocated ON payments(counterparty_id) WHERE allocated < amount;
ALTER TABLE payment_allocations ADD COLUMN created_at TIMESTAMPTZ;
ALTER TABLE payment_allocations ADD COLUMN created_by UUID REFERENCES users(id);
CREATE INDEX payment_allocations_invoice ON payment_allocations(invoice_id);

CREATE INDEX bank_accounts_account ON bank_accounts(account);

-- Imported bank statements and their documents. A document's fingerprint is unique, so
-- importing the same statement twice adds nothing.
CREATE TABLE bank_statements (
    id UUID PRIMARY KEY,
    file_name TEXT NOT NULL,
    account TEXT,
    period_from DATE,
    period_to DATE,
    documents INTEGER NOT NULL,
    new_documents INTEGER NOT NULL,
    duplicates INTEGER NOT NULL,
    matched INTEGER NOT NULL,
    queued INTEGER NOT NULL,
    imported_by UUID REFERENCES users(id),
    imported_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE bank_statement_docs (
    id UUID PRIMARY KEY,
    statement_id UUID NOT NULL REFERENCES bank_statements(id),
    fingerprint TEXT NOT NULL UNIQUE,
    line_no INTEGER NOT NULL,
    direction TEXT NOT NULL,
    number TEXT NOT NULL,
    doc_date DATE NOT NULL,
    amount BIGINT NOT NULL,
    payer_inn TEXT,
    payer_account TEXT NOT NULL,
    payer_name TEXT NOT NULL,
    payee_inn TEXT,
    payee_account TEXT NOT NULL,
    credited_on DATE,
    purpose TEXT NOT NULL,
    raw TEXT NOT NULL,
    state TEXT NOT NULL,
    reason TEXT NOT NULL,
    counterparty_id UUID REFERENCES counterparties(id),
    payment_id UUID REFERENCES payments(id),
    proposal TEXT,
    version BIGINT NOT NULL DEFAULT 1,
    resolved_by UUID REFERENCES users(id),
    resolved_at TIMESTAMPTZ
);
CREATE INDEX bank_statement_docs_statement ON bank_statement_docs(statement_id, line_no);
CREATE INDEX bank_statement_docs_queue ON bank_statement_docs(state, credited_on) WHERE state IN ('ambiguous', 'unmatched');

-- Returns and refusals, with a reason code; a return of shipped goods credits the invoice.
CREATE TABLE order_returns (
    id UUID PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    order_id UUID NOT NULL REFERENCES orders(id),
    shipment_id UUID REFERENCES shipments(id),
    counterparty_id UUID NOT NULL REFERENCES counterparties(id),
    reason TEXT NOT NULL,
    comment TEXT NOT NULL,
    amount BIGINT NOT NULL,
    created_by UUID REFERENCES users(id),
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX order_returns_order ON order_returns(order_id);
CREATE INDEX order_returns_created ON order_returns(created_at);
CREATE TABLE order_return_lines (
    return_id UUID NOT NULL REFERENCES order_returns(id),
    line_no INTEGER NOT NULL,
    order_line_no INTEGER NOT NULL,
    product_id UUID NOT NULL REFERENCES products(id),
    quantity BIGINT NOT NULL,
    amount BIGINT NOT NULL,
    PRIMARY KEY (return_id, line_no)
);

-- Acts of shortage and mis-grading (акт недостачи / пересортицы) on a shipment.
CREATE TABLE discrepancy_acts (
    id UUID PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    shipment_id UUID NOT NULL REFERENCES shipments(id),
    counterparty_id UUID NOT NULL REFERENCES counterparties(id),
    lines TEXT NOT NULL,
    amount BIGINT NOT NULL,
    comment TEXT NOT NULL,
    status TEXT NOT NULL,
    created_by UUID REFERENCES users(id),
    created_at TIMESTAMPTZ NOT NULL,
    decided_by UUID REFERENCES users(id),
    decided_at TIMESTAMPTZ
);
CREATE INDEX discrepancy_acts_shipment ON discrepancy_acts(shipment_id);

-- The Bank of Russia key rate by effective date (basis points of % p.a.) and the working-day
-- calendar (days that differ from Monday–Friday working); both editable.
CREATE TABLE key_rates (
    effective_from DATE PRIMARY KEY,
    rate_bp INTEGER NOT NULL
);
CREATE TABLE work_calendar (
    day DATE PRIMARY KEY,
    working BOOLEAN NOT NULL
);

-- Collections: reminder → letter → claim → court, each step a task.
CREATE TABLE collection_cases (
    id UUID PRIMARY KEY,
    counterparty_id UUID NOT NULL REFERENCES counterparties(id),
    stage TEXT NOT NULL,
    assignee_id UUID REFERENCES users(id),
    debt BIGINT NOT NULL,
    claim_number TEXT,
    claim_sent_on DATE,
    claim_term_days INTEGER,
    suit_from DATE,
    outcome TEXT,
    version BIGINT NOT NULL DEFAULT 1,
    created_by UUID REFERENCES users(id),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    closed_at TIMESTAMPTZ
);
CREATE INDEX collection_cases_counterparty ON collection_cases(counterparty_id, created_at);
CREATE INDEX collection_cases_open ON collection_cases(stage) WHERE closed_at IS NULL;
CREATE TABLE collection_steps (
    id UUID PRIMARY KEY,
    case_id UUID NOT NULL REFERENCES collection_cases(id),
    stage TEXT NOT NULL,
    note TEXT NOT NULL,
    activity_id UUID REFERENCES activities(id),
    created_by UUID REFERENCES users(id),
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX collection_steps_case ON collection_steps(case_id, created_at);

-- Write-offs of bad debt: requested, approved by the head or the credit controller.
CREATE TABLE write_offs (
    id UUID PRIMARY KEY,
    invoice_id UUID NOT NULL REFERENCES invoices(id),
    counterparty_id UUID NOT NULL REFERENCES counterparties(id),
    amount BIGINT NOT NULL,
    reason TEXT NOT NULL,
    status TEXT NOT NULL,
    requested_by UUID REFERENCES users(id),
    decided_by UUID REFERENCES users(id),
    created_at TIMESTAMPTZ NOT NULL,
    decided_at TIMESTAMPTZ
);
CREATE INDEX write_offs_invoice ON write_offs(invoice_id);

-- Reconciliation acts issued, with the client's answer.
CREATE TABLE reconciliation_acts (
    id UUID PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    counterparty_id UUID NOT NULL REFERENCES counterparties(id),
    period_from DATE NOT NULL,
    period_to DATE NOT NULL,
    closing_balance BIGINT NOT NULL,
    status TEXT NOT NULL,
    created_by UUID REFERENCES users(id),
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX reconciliation_acts_counterparty ON reconciliation_acts(counterparty_id, created_at);
