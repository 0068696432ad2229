-- Search inside a manager's portfolio (issue 4). A portfolio is about one record in a
-- hundred on a large base, so a lookup that starts from a word or an identifier and then
-- checks each hit's owner walks thousands of other people's records.
--
-- * Counterparties: owner-leading indexes for the identifier prefixes a seller types most
--   (INN, phone), so "my clients whose INN begins 7710" is one index range.
-- * Contacts carry their counterparty's owner (`owner_id`, a copy kept by the triggers
--   below), so a contact hit is checked without reading its counterparty. The copy is not
--   a reference of its own: `counterparties.owner_id` is the fact, this is its shadow.

CREATE INDEX counterparties_owner_inn ON counterparties(owner_id, inn);
CREATE INDEX counterparties_owner_phone ON counterparties(owner_id, phone);

ALTER TABLE contacts ADD COLUMN owner_id BLOB;
UPDATE contacts SET owner_id = (SELECT p.owner_id FROM counterparties p WHERE p.id = contacts.counterparty_id);

-- A new contact takes its counterparty's owner (writers that already know it pass it, and
-- then nothing is written twice).
CREATE TRIGGER contacts_owner_insert AFTER INSERT ON contacts
WHEN NEW.owner_id IS NOT (SELECT p.owner_id FROM counterparties p WHERE p.id = NEW.counterparty_id)
BEGIN
    UPDATE contacts SET owner_id = (SELECT p.owner_id FROM counterparties p WHERE p.id = NEW.counterparty_id)
    WHERE rowid = NEW.rowid;
END;

-- A contact moved to another counterparty (a merge) takes the new one's owner.
CREATE TRIGGER contacts_owner_move AFTER UPDATE OF counterparty_id, owner_id ON contacts
WHEN NEW.owner_id IS NOT (SELECT p.owner_id FROM counterparties p WHERE p.id = NEW.counterparty_id)
BEGIN
    UPDATE contacts SET owner_id = (SELECT p.owner_id FROM counterparties p WHERE p.id = NEW.counterparty_id)
    WHERE rowid = NEW.rowid;
END;

-- A counterparty handed to another manager hands its contacts along.
CREATE TRIGGER counterparties_owner_contacts AFTER UPDATE OF owner_id ON counterparties
WHEN NEW.owner_id IS NOT OLD.owner_id
BEGIN
    UPDATE contacts SET owner_id = NEW.owner_id WHERE counterparty_id = NEW.id;
END;
