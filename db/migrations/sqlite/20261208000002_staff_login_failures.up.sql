-- Failed console logins by staff email as typed, apart from the merchants'
-- login_failures: a merchant login ID may be any text, so no key in that
-- table is out of a stranger's reach, and the public /login must not be
-- able to pause a member of the support desk. Rows written under
-- "staff:<email>" in login_failures age out with the lockout window.
CREATE TABLE staff_login_failures (
    id    INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL,
    at    TIMESTAMP NOT NULL,
    ip    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX staff_login_failures_email_idx ON staff_login_failures (email, at);
