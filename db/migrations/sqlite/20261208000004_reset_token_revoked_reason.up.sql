-- Why a reset link was revoked: see the PostgreSQL migration of the same name.
ALTER TABLE reset_tokens ADD COLUMN revoked_reason TEXT NOT NULL DEFAULT '';

--bun:split

UPDATE reset_tokens SET revoked_reason = 'replaced'
WHERE revoked_at IS NOT NULL
  AND EXISTS (SELECT 1 FROM reset_tokens AS newer
              WHERE newer.account_id = reset_tokens.account_id AND newer.created_at = reset_tokens.revoked_at);

--bun:split

CREATE INDEX reset_tokens_created_at_idx ON reset_tokens (created_at);
