-- An account that support staff disabled: it gets no mail, its links and
-- sessions are ended, and it cannot log in, until it is enabled again.
ALTER TABLE accounts ADD COLUMN disabled_at TIMESTAMPTZ;
