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

-- The console searches one normalised text per account: login ID, address
-- and store name, each NFKC and lower-cased (db.SearchKey), so width and
-- case never matter. Filled by the application (db.FillSearchText, run by
-- Migrate) for accounts written before it existed.
ALTER TABLE accounts ADD COLUMN search_text TEXT;

--bun:split

-- Search matches a fragment anywhere in search_text (LIKE '%…%'), which
-- only a trigram index can serve. pg_trgm ships with PostgreSQL (contrib)
-- and is a trusted extension: the owner of the database may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

--bun:split

CREATE INDEX accounts_search_text_trgm_idx ON accounts USING gin (search_text gin_trgm_ops);
