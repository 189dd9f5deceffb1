-- Requests that matched no account keep a keyed tag of the address typed
-- (HMAC-SHA-256 under a key derived from SECRET_KEY, 16 bytes), never the
-- address: the console shows an account "someone asked with this address
-- and another login ID" without the trail holding addresses in clear.
ALTER TABLE audit_events ADD COLUMN addr_tag BYTEA;

--bun:split

CREATE INDEX audit_events_addr_tag_idx ON audit_events (addr_tag, at) WHERE addr_tag IS NOT NULL;

--bun:split

-- The same requests by the login ID they named: only rows without an
-- account, so an account's own busy history is not in the way.
CREATE INDEX audit_events_unmatched_login_idx ON audit_events (login_id, at) WHERE account_id IS NULL;

--bun:split

-- When a reset link was first opened (by the merchant, or by a mail
-- scanner before them): support sees whether the mail was at least read.
ALTER TABLE reset_tokens ADD COLUMN opened_at TIMESTAMPTZ;

