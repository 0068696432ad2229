-- A manager's client list pages by (name, id) within one owner: with id in the index the
-- keyset order comes straight from it, with no sort of the ties on name.
DROP INDEX counterparties_owner;
CREATE INDEX counterparties_owner ON counterparties(owner_id, name, id);
