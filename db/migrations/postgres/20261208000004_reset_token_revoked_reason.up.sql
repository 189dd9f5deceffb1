-- Why a reset link was revoked (db.RevokeReason): only a link replaced by
-- a newer one may be renewed from its page; one reported through
-- 「心当たりがない場合」, or ended by a password change, a new address or a
-- disabled account, may not. A link revoked before this column is taken as
-- replaced when a newer link of its account was made at the very time it
-- was revoked (a new link revokes the older ones with its own time), and
-- otherwise keeps '', which is never renewed. The app never writes a
-- revoked link, so filling them holds up none of its writes.
--
-- As in 20261208000001_outbox_pacing: one connection, no transaction, a
-- lock_timeout (db.Migrate tries again), the index built CONCURRENTLY;
-- every statement may run again.
SET lock_timeout = '2s';

--bun:split

ALTER TABLE reset_tokens ADD COLUMN IF NOT EXISTS revoked_reason TEXT NOT NULL DEFAULT '';

--bun:split

UPDATE reset_tokens SET revoked_reason = 'replaced'
WHERE revoked_at IS NOT NULL AND revoked_reason = ''
  AND EXISTS (SELECT 1 FROM reset_tokens AS newer
              WHERE newer.account_id = reset_tokens.account_id AND newer.created_at = reset_tokens.revoked_at);

--bun:split

-- The sweep deletes unused links by their age.
CREATE INDEX CONCURRENTLY IF NOT EXISTS reset_tokens_created_at_idx ON reset_tokens (created_at);

--bun:split

RESET lock_timeout;
