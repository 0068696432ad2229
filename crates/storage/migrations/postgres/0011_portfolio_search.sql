-- Search inside a manager's portfolio (issue 4); mirrors ../sqlite/0011_portfolio_search.sql.
-- A portfolio is about one record in a hundred on a large base, so a lookup that starts
-- from a word or an identifier and then checks each hit's owner walks thousands of other
-- people's records.
--
-- * Counterparties: owner-leading indexes for the identifier prefixes a seller types most
--   (INN, phone), so "my clients whose INN begins 7710" is one index range.
-- * Contacts carry their counterparty's owner (`owner_id`, a copy kept by the triggers
--   below) with an index of its own, so a word hit can be intersected with a manager's
--   contacts before any row is read. The copy is not a reference of its own:
--   `counterparties.owner_id` is the fact, this is its shadow.

CREATE INDEX counterparties_owner_inn ON counterparties (owner_id, inn text_pattern_ops);
CREATE INDEX counterparties_owner_phone ON counterparties (owner_id, phone text_pattern_ops);

ALTER TABLE contacts ADD COLUMN owner_id UUID;
UPDATE contacts ct SET owner_id = p.owner_id
FROM counterparties p WHERE p.id = ct.counterparty_id AND p.owner_id IS NOT NULL;
CREATE INDEX contacts_owner ON contacts (owner_id);

-- A new contact, or one moved to another counterparty (a merge), takes that
-- counterparty's owner; whatever the writer passed is overwritten.
CREATE FUNCTION prospekt_contact_owner() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    NEW.owner_id := (SELECT p.owner_id FROM counterparties p WHERE p.id = NEW.counterparty_id);
    RETURN NEW;
END
$$;
CREATE TRIGGER contacts_owner BEFORE INSERT OR UPDATE OF counterparty_id, owner_id ON contacts
    FOR EACH ROW EXECUTE FUNCTION prospekt_contact_owner();

-- A counterparty handed to another manager hands its contacts along.
CREATE FUNCTION prospekt_counterparty_owner_contacts() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    UPDATE contacts SET owner_id = NEW.owner_id WHERE counterparty_id = NEW.id;
    RETURN NULL;
END
$$;
CREATE TRIGGER counterparties_owner_contacts AFTER UPDATE OF owner_id ON counterparties
    FOR EACH ROW WHEN (OLD.owner_id IS DISTINCT FROM NEW.owner_id)
    EXECUTE FUNCTION prospekt_counterparty_owner_contacts();
