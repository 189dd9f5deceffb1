-- What the support console's account page and search read, measured on
-- 100,000 accounts and a year of events (BENCHMARKS.md, "Support console").
-- The account page's mail timeline: an account's newest mail first. Without
-- it each account page read the whole outbox four times (this and
-- AddressHealth); it also serves the outbox's foreign key when an account
-- is deleted.
CREATE INDEX outbox_account_created_idx ON outbox (account_id, created_at);

--bun:split

-- AddressHealth: the latest delivery, bounce and complaint of an account's
-- mail to its address, each one step into the index.
CREATE INDEX outbox_account_delivery_idx ON outbox (account_id, to_addr, delivery_event, delivery_event_at);

--bun:split

-- Search matches a fragment anywhere in the login ID, the address or the
-- store name (LIKE '%…%'), which only trigram indexes can serve. pg_trgm
-- ships with PostgreSQL (contrib) and is a trusted extension: the owner of
-- the database may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

--bun:split

CREATE INDEX accounts_login_id_trgm_idx ON accounts USING gin (lower(login_id) gin_trgm_ops);

--bun:split

CREATE INDEX accounts_email_key_trgm_idx ON accounts USING gin (email_key gin_trgm_ops);

--bun:split

CREATE INDEX accounts_store_name_trgm_idx ON accounts USING gin (lower(store_name) gin_trgm_ops);
