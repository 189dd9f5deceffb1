-- Login IDs are matched, checked at login and kept unique without regard
-- to case: login_key is db.LoginKey(login_id) (NFKC, then Unicode case
-- folding), which only Go computes, so db.Migrate fills it for existing
-- accounts (FillLoginKeys) right after this file. Before it runs, Migrate
-- refuses to go on, listing them, where existing login IDs differ only in
-- case: the unique index could not be built.
--
-- As in 20261208000001_outbox_pacing: one connection, no transaction, a
-- lock_timeout (db.Migrate tries again), the index built CONCURRENTLY;
-- every statement may run again.
SET lock_timeout = '2s';

--bun:split

ALTER TABLE accounts ADD COLUMN IF NOT EXISTS login_key TEXT;

--bun:split

CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS accounts_login_key_idx ON accounts (login_key);

--bun:split

RESET lock_timeout;
