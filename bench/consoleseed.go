// The support console's data set: 100,000 accounts and a year of their
// audit trail, links and mail, written by PostgreSQL itself
// (generate_series) so that seeding takes seconds, not hours.

package main

import (
	"context"
	"fmt"
	"log"
	"net/url"
	"time"

	"aikagi/db"
)

// Sizes of the console's data set.
const (
	seedAccounts     = 100_000
	seedHeavy        = 5         // accounts 1–5 carry thousands of events each
	seedYearEvents   = 1_150_000 // the year's stream before the rows derived from it (mail, links, password changes)
	seedHeavyEvents  = 5_000     // per heavy account, before derived rows
	seedLoginFailing = 3_000     // failed logins inside the lockout window (the sweep keeps no older ones)
)

// seedStep is one statement of the seed and what it stands for.
type seedStep struct {
	what string
	sql  string
}

// consoleSeed is the seed, in order. Accounts 1–5 are the heavy ones;
// every other account's activity is skewed (a few busy shops, a long
// tail of quiet ones) and the year follows office hours in Japan, with
// quieter weekends and a few bursts (a campaign, an incident) where an
// hour carries many times its usual load.
var consoleSeed = []seedStep{
	{"accounts", fmt.Sprintf(`
INSERT INTO accounts (id, login_id, email, email_key, store_name, locale, password_hash, created_at, updated_at, search_text)
SELECT g, l, e, lower(e), st,
       CASE WHEN g %% 10 = 0 THEN 'en' ELSE 'ja' END,
       '$2a$04$benchbenchbenchbenchbeOaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
       now() - interval '400 days', now() - interval '400 days',
       lower(normalize(l, NFKC)) || chr(31) || lower(normalize(e, NFKC)) || chr(31) || lower(normalize(st, NFKC))
FROM generate_series(1, %d) g,
     LATERAL (SELECT 'shop' || lpad(g::text, 6, '0') AS l,
       'Owner' || g || '@' || (ARRAY['example.jp','example.co.jp','example.com','example.ne.jp'])[1 + g %% 4] AS e,
       (ARRAY['さくら','みどり','Tokyo','Osaka','ひかり','Blue','あおぞら','Kyoto','山田','Green'])[1 + g %% 10]
         || (ARRAY[' 商店',' Shop',' 本舗',' Store',' 堂',' Market'])[1 + (g / 10) %% 6] || ' ' || g AS st) x`, seedAccounts)},
	{"accounts sequence", `SELECT setval(pg_get_serial_sequence('accounts', 'id'), (SELECT max(id) FROM accounts))`},

	// Hours of the year and how many events each carries: a daily curve
	// (peaks at 11:00 and 15:00 JST, a smaller one at 21:00), weekends at
	// about half, Mondays busier, and 1 % of hours bursting 5–25 times.
	{"hours", fmt.Sprintf(`
CREATE TEMP TABLE bench_hours AS
WITH h AS (
  SELECT slot, extract(hour FROM slot AT TIME ZONE 'Asia/Tokyo') AS hr, extract(isodow FROM slot AT TIME ZONE 'Asia/Tokyo') AS dow
  FROM generate_series(date_trunc('hour', now()) - interval '365 days', date_trunc('hour', now()) - interval '1 hour', interval '1 hour') slot
), w AS (
  SELECT slot,
         (0.15 + exp(-((hr - 11) ^ 2) / 8) + 0.8 * exp(-((hr - 15) ^ 2) / 8) + 0.3 * exp(-((hr - 21) ^ 2) / 6))
         * CASE dow WHEN 6 THEN 0.55 WHEN 7 THEN 0.45 WHEN 1 THEN 1.2 ELSE 1.0 END
         * CASE WHEN random() < 0.01 THEN 5 + random() * 20 ELSE 0.7 + random() * 0.6 END AS weight
  FROM h
)
SELECT slot, floor(weight / sum(weight) OVER () * %d + random())::int AS n FROM w`, seedYearEvents)},

	// The year's stream. r picks the kind in the proportions of a real
	// deployment: mostly logins, then reset requests (matched, unmatched,
	// over a limit), rate-limit refusals (one aggregated row standing for
	// many 429s), logouts and the rarer kinds.
	{"audit events (year)", `
INSERT INTO audit_events (at, kind, account_id, login_id, ip, user_agent, detail, count, agg_key)
SELECT at, kind,
       CASE WHEN known THEN acct END,
       CASE WHEN known THEN 'shop' || lpad(acct::text, 6, '0') WHEN kind = 'rate_limited' THEN '' ELSE 'shop' || lpad((acct * 13 % 999999)::text, 6, '0') || 'x' END,
       ip, 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148',
       CASE kind WHEN 'rate_limited' THEN (ARRAY['send','login','link_guess'])[1 + i % 3] WHEN 'reset_token_refused' THEN 'expired' ELSE '' END,
       CASE WHEN kind = 'rate_limited' THEN 1 + floor(random() * random() * 400)::int ELSE 1 END,
       CASE WHEN kind = 'rate_limited' THEN 'rate_limited|bench|' || ip || '|' || slot || '|' || i END
FROM bench_hours h, generate_series(1, h.n) i,
LATERAL (SELECT h.slot + random() * interval '1 hour' AS at, random() AS r,
                6 + (floor(99995 * power(random(), 1.6))::bigint * 7919) % 99995 AS acct,
                '192.0.2.' || (i % 250) || '.' || floor(random() * 250)::int AS ip
         WHERE i > 0) x,
LATERAL (SELECT CASE
           WHEN r < 0.45 THEN 'login_succeeded'
           WHEN r < 0.60 THEN 'login_failed'
           WHEN r < 0.66 THEN 'logout'
           WHEN r < 0.74 THEN 'reset_requested'
           WHEN r < 0.79 THEN 'reset_request_nomatch'
           WHEN r < 0.80 THEN 'reset_request_limited'
           WHEN r < 0.82 THEN 'rate_limited'
           WHEN r < 0.84 THEN 'reset_token_refused'
           WHEN r < 0.85 THEN 'password_rehashed'
           WHEN r < 0.855 THEN 'login_locked'
           WHEN r < 0.87 THEN 'login_id_reminder_requested'
           WHEN r < 0.875 THEN 'login_id_reminder_nomatch'
           WHEN r < 0.877 THEN 'reset_reported'
           WHEN r < 0.88 THEN 'password_rejected'
           ELSE 'login_succeeded' END AS kind) k,
LATERAL (SELECT kind NOT IN ('reset_request_nomatch', 'login_id_reminder_nomatch', 'rate_limited') AND NOT (kind = 'login_failed' AND r >= 0.57) AS known) kn`},

	// The heavy accounts: the account page's worst case.
	{"audit events (heavy accounts)", fmt.Sprintf(`
INSERT INTO audit_events (at, kind, account_id, login_id, ip, detail)
SELECT now() - random() * interval '365 days',
       CASE WHEN r < 0.5 THEN 'login_succeeded' WHEN r < 0.8 THEN 'login_failed' WHEN r < 0.95 THEN 'reset_requested' ELSE 'logout' END,
       a, 'shop' || lpad(a::text, 6, '0'), '198.51.100.' || (i %% 200), ''
FROM generate_series(1, %d) a, generate_series(1, %d) i, LATERAL (SELECT random() AS r WHERE i > 0) x`, seedHeavy, seedHeavyEvents)},

	// Every account was imported once, before the year.
	{"audit events (imports)", `
INSERT INTO audit_events (at, kind, account_id, login_id, detail)
SELECT created_at, 'account_imported', id, login_id, '' FROM accounts`},

	// A link for each matched request: 60 % used, 10 % revoked by a later
	// one, the rest expired.
	{"reset tokens", `
INSERT INTO reset_tokens (account_id, token_hash, created_at, expires_at, used_at, revoked_at, requested_ip)
SELECT account_id, sha256(convert_to('bench-token-' || id, 'UTF8')), at, at + interval '1 hour',
       CASE WHEN r < 0.6 THEN at + random() * interval '50 minutes' END,
       CASE WHEN r >= 0.6 AND r < 0.7 THEN at + random() * interval '30 minutes' END, ip
FROM (SELECT id, account_id, at, ip, random() AS r FROM audit_events WHERE kind = 'reset_requested') e`},
	{"audit events (password changes)", `
INSERT INTO audit_events (at, kind, account_id, login_id, ip, detail)
SELECT t.used_at, 'password_changed', t.account_id, a.login_id, t.requested_ip, ''
FROM reset_tokens t JOIN accounts a ON a.id = t.account_id WHERE t.used_at IS NOT NULL`},

	// Mail: a reset link per matched request, a reminder per matched
	// reminder request, a notice per password change. Most are sent and
	// delivered; about 2 % bounce, 0.1 % draw a complaint, 1 % are
	// delayed, 0.3 % died in the outbox (payload kept).
	{"outbox", `
INSERT INTO outbox (id, kind, account_id, to_addr, payload, status, attempts, next_attempt_at, created_at, sent_at,
                    expires_at, dead_at, last_error, provider_id, delivery_event, delivery_event_at, delivery_detail)
SELECT 'bench-' || m.kind || '-' || m.src, m.kind, m.account_id, a.email,
       CASE WHEN r < 0.003 THEN '\x00'::bytea END,
       CASE WHEN r < 0.003 THEN 'dead' ELSE 'sent' END,
       CASE WHEN r < 0.003 THEN 8 ELSE 1 END,
       m.at, m.at,
       CASE WHEN r >= 0.003 THEN m.at + interval '2 seconds' END,
       CASE WHEN m.kind = 'reset_link' THEN m.at + interval '1 hour' END,
       CASE WHEN r < 0.003 THEN m.at + interval '40 minutes' END,
       CASE WHEN r < 0.003 THEN 'resend: 500 Internal Server Error' ELSE '' END,
       CASE WHEN r >= 0.003 THEN 'bench-provider-' || m.kind || '-' || m.src ELSE '' END,
       CASE WHEN r < 0.003 THEN '' WHEN r < 0.023 THEN 'bounced' WHEN r < 0.024 THEN 'complained' WHEN r < 0.034 THEN 'delivery_delayed' ELSE 'delivered' END,
       CASE WHEN r >= 0.003 THEN m.at + interval '12 seconds' END,
       CASE WHEN r >= 0.003 AND r < 0.023 THEN 'Permanent: mailbox does not exist' ELSE '' END
FROM (
  SELECT id AS src, account_id, at, CASE kind WHEN 'reset_requested' THEN 'reset_link' ELSE 'login_id_reminder' END AS kind, random() AS r
  FROM audit_events WHERE kind IN ('reset_requested', 'login_id_reminder_requested')
  UNION ALL
  SELECT id, account_id, used_at, 'password_changed', random() FROM reset_tokens WHERE used_at IS NOT NULL
) m JOIN accounts a ON a.id = m.account_id`},
	{"audit events (mail)", `
INSERT INTO audit_events (at, kind, account_id, detail)
SELECT sent_at, 'mail_sent', account_id, kind || ' ' || id FROM outbox WHERE status = 'sent'
UNION ALL
SELECT dead_at, 'mail_dead', account_id, kind || ' ' || id || ': ' || last_error FROM outbox WHERE status = 'dead'
UNION ALL
SELECT delivery_event_at, CASE delivery_event WHEN 'bounced' THEN 'mail_bounced' ELSE 'mail_complained' END, account_id, kind || ' ' || id
FROM outbox WHERE delivery_event IN ('bounced', 'complained')`},

	// Failed logins inside the lockout window (older ones are swept), and
	// heavy account 1 paused right now.
	{"login failures", fmt.Sprintf(`
INSERT INTO login_failures (login_id, at, ip)
SELECT 'shop' || lpad((6 + floor(random() * 99995))::int::text, 6, '0'), now() - random() * interval '15 minutes', '203.0.113.' || (i %% 250)
FROM generate_series(1, %d) i
UNION ALL
SELECT 'shop000001', now() - random() * interval '10 minutes', '203.0.113.7' FROM generate_series(1, 12)`, seedLoginFailing)},
	// A year-old database has been vacuumed: the trigram indexes' pending
	// entries are merged (a GIN index scans its whole pending list on each
	// search), the visibility map is set, statistics are fresh.
	{"vacuum analyze", `VACUUM ANALYZE`},
}

// seedConsole writes the data set into the empty, migrated database dsn
// and prints how long each step took and how many rows it wrote.
func seedConsole(ctx context.Context, dsn string) {
	// The seed's statements run for longer than the driver's default
	// 10 s read timeout.
	u, err := url.Parse(dsn)
	if err != nil {
		log.Fatal(err)
	}
	q := u.Query()
	q.Set("read_timeout", "10m")
	u.RawQuery = q.Encode()
	bdb, err := db.Open(u.String())
	if err != nil {
		log.Fatal(err)
	}
	defer bdb.Close()
	start := time.Now()
	for _, step := range consoleSeed {
		t := time.Now()
		res, err := bdb.ExecContext(ctx, step.sql)
		if err != nil {
			log.Fatalf("seed %s: %v", step.what, err)
		}
		n, _ := res.RowsAffected()
		fmt.Printf("- seed %s: %d rows, %.1f s\n", step.what, n, time.Since(t).Seconds())
	}
	fmt.Printf("- seeded in %.1f s\n\n", time.Since(start).Seconds())
}
