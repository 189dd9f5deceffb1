-- Support staff of the console (SPEC §7): an argon2id password, a TOTP
-- secret sealed with SECRET_KEY, enrolled once its first code is confirmed.
-- email is normalised (NFKC) and lower-cased, so it is also the lockout key.
CREATE TABLE staff (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    email          TEXT NOT NULL UNIQUE,
    role           TEXT NOT NULL CHECK (role IN ('support', 'admin')),
    password_hash  TEXT NOT NULL,
    totp_sealed    BLOB,
    totp_last_step INTEGER NOT NULL DEFAULT 0,
    enrolled_at    TIMESTAMP,
    disabled_at    TIMESTAMP,
    created_at     TIMESTAMP NOT NULL
);

--bun:split

-- One-time recovery codes, kept as SHA-256 hashes.
CREATE TABLE staff_recovery_codes (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    staff_id  INTEGER NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    code_hash BLOB NOT NULL UNIQUE,
    used_at   TIMESTAMP
);
CREATE INDEX staff_recovery_codes_staff_idx ON staff_recovery_codes (staff_id);

--bun:split

-- Console sessions by the hash of the cookie value. A session is "pending"
-- between the password and the second factor, "full" after it; expires_at
-- moves forward with each request (idle expiry).
CREATE TABLE staff_sessions (
    id_hash    BLOB PRIMARY KEY,
    staff_id   INTEGER NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    stage      TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    ip         TEXT NOT NULL DEFAULT '',
    user_agent TEXT NOT NULL DEFAULT ''
);
CREATE INDEX staff_sessions_staff_idx ON staff_sessions (staff_id);

--bun:split

-- The staff member behind an audit event: console logins and actions.
ALTER TABLE audit_events ADD COLUMN staff_id INTEGER REFERENCES staff (id) ON DELETE SET NULL;
