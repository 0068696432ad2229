-- Catalogue, price columns, discounts and approvals, promotions, deals and commercial offers
-- (issue 6). Money is BIGINT kopecks, quantities BIGINT thousandths of a unit, discounts and
-- rates INTEGER hundredths of a percent (basis points).

-- A product carries a VAT *category*; the rate of a category depends on the date (vat_rates).
ALTER TABLE products RENAME COLUMN vat_rate TO vat_category;
UPDATE products SET vat_category = CASE vat_category
    WHEN '22' THEN 'standard' WHEN '20' THEN 'standard' WHEN '10' THEN 'reduced' WHEN '0' THEN 'zero'
    ELSE 'none' END;
ALTER TABLE products ADD COLUMN min_price BIGINT;
ALTER TABLE products ADD COLUMN search_key TEXT NOT NULL DEFAULT '';
ALTER TABLE products ADD COLUMN archived_at TEXT;
ALTER TABLE products ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE products ADD COLUMN updated_at TEXT;
-- Best effort for rows loaded before this migration; the application writes the key itself.
UPDATE products SET search_key = lower(sku || ' ' || name);
CREATE INDEX products_group ON products(group_name, name);

ALTER TABLE price_columns ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE product_prices ADD COLUMN set_by BLOB REFERENCES users(id);
ALTER TABLE product_prices ADD COLUMN set_at TEXT;

-- VAT rates by category with effective dates: 20 % → 22 % from 2026-01-01 for the general rate.
CREATE TABLE vat_rates (
    category TEXT NOT NULL,
    valid_from TEXT NOT NULL,
    rate TEXT NOT NULL,
    PRIMARY KEY (category, valid_from)
);
INSERT INTO vat_rates (category, valid_from, rate) VALUES
    ('standard', '2019-01-01', '20'), ('standard', '2026-01-01', '22'),
    ('reduced', '2019-01-01', '10'), ('zero', '2019-01-01', '0'), ('none', '2019-01-01', 'none');

-- A manager's own discount limit; beyond it the head of department approves.
ALTER TABLE users ADD COLUMN discount_limit INTEGER NOT NULL DEFAULT 500;

-- Discount and bonus programmes for a period, a product set and a client segment. The sets are
-- JSON lists (empty = everything).
CREATE TABLE promotions (
    id BLOB PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    rate INTEGER NOT NULL,
    valid_from TEXT NOT NULL,
    valid_to TEXT NOT NULL,
    product_ids TEXT NOT NULL,
    product_groups TEXT NOT NULL,
    tiers TEXT NOT NULL,
    statuses TEXT NOT NULL,
    archived_at TEXT,
    version BIGINT NOT NULL DEFAULT 1,
    created_by BLOB REFERENCES users(id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX promotions_period ON promotions(valid_to, valid_from);

-- Deals: versioned, with where they came from and whom they were lost to.
ALTER TABLE deals ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE deals ADD COLUMN source_campaign TEXT;
ALTER TABLE deals ADD COLUMN competitor TEXT;
ALTER TABLE deals ADD COLUMN needs TEXT;
ALTER TABLE deals ADD COLUMN stage_changed_at TEXT;
ALTER TABLE deals ADD COLUMN closed_at TEXT;
UPDATE deals SET stage_changed_at = updated_at;
DROP INDEX deals_owner;
CREATE INDEX deals_owner ON deals(owner_id, stage, expected_close);

-- Every stage change, for funnel analytics (time in stage, conversion between stages).
CREATE TABLE deal_stage_history (
    id BLOB PRIMARY KEY,
    deal_id BLOB NOT NULL REFERENCES deals(id),
    from_stage TEXT,
    to_stage TEXT NOT NULL,
    changed_by BLOB REFERENCES users(id),
    changed_at TEXT NOT NULL
);
CREATE INDEX deal_stage_history_deal ON deal_stage_history(deal_id, changed_at);

-- Document numbers (offers, orders): one counter per kind, taken inside the writing transaction.
CREATE TABLE number_sequences (
    name TEXT PRIMARY KEY,
    last_value BIGINT NOT NULL
);

-- Company settings as versioned JSON values ('company': our requisites on documents;
-- 'offer_email': the e-mail template).
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    updated_by BLOB REFERENCES users(id),
    updated_at TEXT NOT NULL
);

-- Commercial offers: one row per revision; a sent offer is never edited, a change makes the
-- next revision and supersedes the previous one.
CREATE TABLE offers (
    id BLOB PRIMARY KEY,
    number TEXT NOT NULL,
    revision INTEGER NOT NULL,
    deal_id BLOB NOT NULL REFERENCES deals(id),
    counterparty_id BLOB NOT NULL REFERENCES counterparties(id),
    owner_id BLOB REFERENCES users(id),
    status TEXT NOT NULL,
    approval TEXT NOT NULL,
    price_column_id BLOB REFERENCES price_columns(id),
    vat_mode TEXT NOT NULL,
    rounding TEXT NOT NULL,
    priced_on TEXT NOT NULL,
    valid_until TEXT NOT NULL,
    intro TEXT NOT NULL,
    total_without_vat BIGINT NOT NULL,
    total_vat BIGINT NOT NULL,
    total_with_vat BIGINT NOT NULL,
    total_discount BIGINT NOT NULL,
    total_bonus BIGINT NOT NULL,
    order_id BLOB REFERENCES orders(id),
    version BIGINT NOT NULL DEFAULT 1,
    created_by BLOB REFERENCES users(id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    sent_at TEXT,
    decided_at TEXT,
    UNIQUE (number, revision)
);
CREATE INDEX offers_deal ON offers(deal_id, revision);
CREATE INDEX offers_counterparty ON offers(counterparty_id, status, valid_until);

CREATE TABLE offer_lines (
    offer_id BLOB NOT NULL REFERENCES offers(id),
    line_no INTEGER NOT NULL,
    product_id BLOB NOT NULL REFERENCES products(id),
    quantity BIGINT NOT NULL,
    list_price BIGINT NOT NULL,
    manual_discount INTEGER NOT NULL,
    promotion_id BLOB REFERENCES promotions(id),
    promotion_discount INTEGER NOT NULL,
    bonus_promotion_id BLOB REFERENCES promotions(id),
    bonus_rate INTEGER NOT NULL,
    unit_price BIGINT NOT NULL,
    vat_rate TEXT NOT NULL,
    amount_without_vat BIGINT NOT NULL,
    vat_amount BIGINT NOT NULL,
    amount_with_vat BIGINT NOT NULL,
    discount_amount BIGINT NOT NULL,
    bonus BIGINT NOT NULL,
    PRIMARY KEY (offer_id, line_no)
);

-- Requests for the head's permission (a discount over the manager's limit, a price below the
-- minimum). subject_kind/subject_id name what waits (an offer now, an order later).
CREATE TABLE approvals (
    id BLOB PRIMARY KEY,
    subject_kind TEXT NOT NULL,
    subject_id BLOB NOT NULL,
    counterparty_id BLOB NOT NULL REFERENCES counterparties(id),
    department_id BLOB REFERENCES departments(id),
    requested_by BLOB REFERENCES users(id),
    reason TEXT NOT NULL,
    details TEXT NOT NULL,
    status TEXT NOT NULL,
    decided_by BLOB REFERENCES users(id),
    comment TEXT,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    decided_at TEXT
);
CREATE INDEX approvals_pending ON approvals(department_id, created_at) WHERE status = 'pending';
CREATE INDEX approvals_subject ON approvals(subject_kind, subject_id);

-- Orders get their lines and their origin (an accepted offer makes an order draft).
ALTER TABLE orders ADD COLUMN offer_id BLOB REFERENCES offers(id);
ALTER TABLE orders ADD COLUMN deal_id BLOB REFERENCES deals(id);
ALTER TABLE orders ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
CREATE TABLE order_lines (
    order_id BLOB NOT NULL REFERENCES orders(id),
    line_no INTEGER NOT NULL,
    product_id BLOB NOT NULL REFERENCES products(id),
    quantity BIGINT NOT NULL,
    price BIGINT NOT NULL,
    discount INTEGER NOT NULL,
    vat_rate TEXT NOT NULL,
    amount BIGINT NOT NULL,
    vat_amount BIGINT NOT NULL,
    PRIMARY KEY (order_id, line_no)
);
