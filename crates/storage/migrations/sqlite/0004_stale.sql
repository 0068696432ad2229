-- Stale-record lists walk a manager's clients from the least recently updated.
CREATE INDEX counterparties_owner_updated ON counterparties(owner_id, updated_at);
CREATE INDEX counterparties_updated ON counterparties(updated_at);
