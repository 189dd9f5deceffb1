-- What the support console's account page reads (the PostgreSQL migration
-- of the same name says why). SQLite has no index for LIKE '%…%', so search
-- stays a scan of the accounts here.
-- The account page's mail timeline: an account's newest mail first.
CREATE INDEX outbox_account_created_idx ON outbox (account_id, created_at);

--bun:split

-- AddressHealth: the latest delivery, bounce and complaint of an account's
-- mail to its address.
CREATE INDEX outbox_account_delivery_idx ON outbox (account_id, to_addr, delivery_event, delivery_event_at);

--bun:split

-- The console searches one normalised text per account: login ID, address
-- and store name, each NFKC and lower-cased (db.SearchKey), so width and
-- case never matter. Filled by the application (db.FillSearchText, run by
-- Migrate) for accounts written before it existed.
ALTER TABLE accounts ADD COLUMN search_text TEXT;
