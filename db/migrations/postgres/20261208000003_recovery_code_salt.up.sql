-- Recovery codes were kept as unsalted SHA-256 of 50-bit codes: with a
-- copy of the database, one pass over 2^50 would find every member's.
-- code_hash becomes argon2id of that SHA-256 under salt (one per member's
-- set of codes), so a copy costs 2^50 argon2id evaluations per member.
-- Rows with no salt yet are the old kind; db.Migrate wraps them in Go
-- (WrapRecoveryCodes), so the codes members hold keep working.
ALTER TABLE staff_recovery_codes ADD COLUMN salt BYTEA;
