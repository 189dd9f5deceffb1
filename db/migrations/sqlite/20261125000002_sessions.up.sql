-- Admin-site sessions, stored by the hash of the cookie value.
CREATE TABLE sessions (
    id_hash    BLOB PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    ip         TEXT NOT NULL DEFAULT '',
    user_agent TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_account_idx ON sessions (account_id);

--bun:split

-- Failed logins by login ID as typed, whether or not it exists, so that a
-- lockout looks the same for every ID.
CREATE TABLE login_failures (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    login_id TEXT NOT NULL,
    at       TIMESTAMP NOT NULL,
    ip       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX login_failures_login_id_idx ON login_failures (login_id, at);
