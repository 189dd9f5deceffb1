-- Mail delivery as the provider reports it, and what an operator needs to
-- act on a mail that did not arrive.
--   expires_at: the mail is useless after this (its reset link expired); the
--     worker does not send it later and "outbox retry" refuses it.
--   dead_at: when the worker gave up; a dead row keeps its sealed payload
--     for a while so that "outbox retry" can send the very same message.
--   delivery_event*: the latest Resend webhook event for the message
--     (delivered, delivery_delayed, bounced, complained, failed).
ALTER TABLE outbox
    ADD COLUMN expires_at        TIMESTAMPTZ,
    ADD COLUMN dead_at           TIMESTAMPTZ,
    ADD COLUMN delivery_event    TEXT NOT NULL DEFAULT '',
    ADD COLUMN delivery_event_at TIMESTAMPTZ,
    ADD COLUMN delivery_detail   TEXT NOT NULL DEFAULT '';

--bun:split

-- Webhooks name the message by the provider's id.
CREATE INDEX outbox_provider_id_idx ON outbox (provider_id) WHERE provider_id <> '';
