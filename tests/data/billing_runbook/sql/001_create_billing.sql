-- The billing schema as it stands before the clean-up.
CREATE SCHEMA IF NOT EXISTS billing;
CREATE TABLE IF NOT EXISTS billing.customers (id int PRIMARY KEY, email text NOT NULL, fax text);
CREATE TABLE IF NOT EXISTS billing.invoices (id int PRIMARY KEY, customer_id int REFERENCES billing.customers (id), cents int NOT NULL);
CREATE TABLE IF NOT EXISTS billing.legacy_coupons (code text PRIMARY KEY);
CREATE TABLE IF NOT EXISTS billing.legacy_credits (id int PRIMARY KEY, cents int);
INSERT INTO billing.customers VALUES (1, 'a@example.com', NULL), (2, 'b@example.com', '555-0100') ON CONFLICT DO NOTHING;
INSERT INTO billing.invoices VALUES (10, 1, 1200), (11, 2, 900) ON CONFLICT DO NOTHING;
