-- Login IDs in any case: see the PostgreSQL migration of the same name.
ALTER TABLE accounts ADD COLUMN login_key TEXT;

--bun:split

CREATE UNIQUE INDEX accounts_login_key_idx ON accounts (login_key);
