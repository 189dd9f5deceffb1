-- SQLite keeps times as text written by bun in UTC ('2006-01-02 15:04:05+00:00',
-- whole seconds), so they compare correctly as strings.
CREATE TABLE accounts (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    login_id            TEXT NOT NULL UNIQUE,
    email               TEXT NOT NULL,
    email_key           TEXT NOT NULL,
    store_name          TEXT NOT NULL,
    locale              TEXT NOT NULL DEFAULT 'ja',
    password_hash       TEXT NOT NULL,
    created_at          TIMESTAMP NOT NULL,
    updated_at          TIMESTAMP NOT NULL,
    password_changed_at TIMESTAMP
);
CREATE INDEX accounts_email_key_idx ON accounts (email_key);

--bun:split

CREATE TABLE reset_tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id   INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    token_hash   BLOB NOT NULL UNIQUE,
    created_at   TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP NOT NULL,
    used_at      TIMESTAMP,
    revoked_at   TIMESTAMP,
    requested_ip TEXT NOT NULL DEFAULT ''
);
CREATE INDEX reset_tokens_account_idx ON reset_tokens (account_id);

--bun:split

CREATE TABLE outbox (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,
    account_id      INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    to_addr         TEXT NOT NULL,
    payload         BLOB,
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    locked_until    TIMESTAMP,
    last_error      TEXT NOT NULL DEFAULT '',
    provider_id     TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMP NOT NULL,
    sent_at         TIMESTAMP
);
CREATE INDEX outbox_due_idx ON outbox (status, next_attempt_at);

--bun:split

CREATE TABLE audit_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         TIMESTAMP NOT NULL,
    kind       TEXT NOT NULL,
    account_id INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    login_id   TEXT NOT NULL DEFAULT '',
    ip         TEXT NOT NULL DEFAULT '',
    user_agent TEXT NOT NULL DEFAULT '',
    detail     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_events_account_idx ON audit_events (account_id, at);
CREATE INDEX audit_events_login_id_idx ON audit_events (login_id, at);
