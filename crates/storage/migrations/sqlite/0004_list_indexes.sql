-- Indexes for list screens. Stale-record lists walk a manager's clients from the least recently updated.
CREATE INDEX counterparties_owner_updated ON counterparties(owner_id, updated_at);
CREATE INDEX counterparties_updated ON counterparties(updated_at);
-- Lists sorted by name page by keyset (name, id): for everyone, and within a department.
CREATE INDEX counterparties_name ON counterparties(name, id);
CREATE INDEX counterparties_department_name ON counterparties(department_id, name, id);
-- Superseded by counterparties_department_name.
DROP INDEX counterparties_department;
