-- Remove what nothing uses any more: two legacy tables and the fax column.
DROP TABLE IF EXISTS billing.legacy_coupons;
DROP TABLE IF EXISTS billing.legacy_credits;
ALTER TABLE billing.customers DROP COLUMN IF EXISTS fax;
