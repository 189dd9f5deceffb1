-- Invitations of staff members added in the console: the member sets
-- their own password by a one-time link, kept here only as a SHA-256 hash.
-- A member invited has password_hash '' until then, which no login matches.
CREATE TABLE staff_invites (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    staff_id   INTEGER NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    token_hash BLOB NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at    TIMESTAMP
);
CREATE INDEX staff_invites_staff_idx ON staff_invites (staff_id);
CREATE INDEX staff_invites_expires_idx ON staff_invites (expires_at);
