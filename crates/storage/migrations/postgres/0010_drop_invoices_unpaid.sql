-- The contact plan reads overdue debt through the open-invoice index (paid, credited and
-- written-off amounts all close an invoice); the index of merely unpaid invoices is unused.
DROP INDEX invoices_unpaid;
