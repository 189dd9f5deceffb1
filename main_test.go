package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"aikagi/db"
	"aikagi/db/dbtest"
)

// TestTwoInstancesShareOnePostgres runs two real processes of the binary on
// one PostgreSQL database, as behind a load balancer: rate limits are
// shared, each mail is sent once, a login made on one is valid on the
// other, the form state of one is accepted by the other, and SIGTERM stops
// each cleanly.
func TestTwoInstancesShareOnePostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dsn := dbtest.Fresh(t, "postgres")
	bin := filepath.Join(t.TempDir(), "aikagi")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	env := append(os.Environ(),
		"DATABASE_URL="+dsn,
		"SECRET_KEY=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
		"BASE_URL=http://reset.example.test",
		"DEMO_ADDR=off",
		"SEND_MIN_DURATION=0s",
		"LIMIT_SENDS_PER_IP=4/1h",
	)
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("aikagi %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	run("migrate")
	run("account", "create", "--login-id", "twin01", "--email", "twin@example.jp", "--store", "双子商店", "--password", "a-long-enough-passphrase")
	one, two := startInstance(t, bin, env), startInstance(t, bin, env)

	c := newClient(t)
	// The state signed by one instance is accepted by the other: steps 1–3
	// need no sticky sessions.
	send := func(confirmAt, sendAt string, loginID string) int {
		t.Helper()
		body := c.post(confirmAt+"/password-resetting/confirm", url.Values{"login_id": {loginID}, "email": {"twin@example.jp"}})
		m := regexp.MustCompile(`name="state" value="([^"]+)"`).FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no state in step 2:\n%s", body)
		}
		c.post(sendAt+"/password-resetting/send", url.Values{"state": {strings.ReplaceAll(m[1], "&amp;", "&")}})
		return c.lastStatus
	}
	for i, pair := range [][2]string{{one, two}, {two, one}, {one, two}, {two, one}} {
		if status := send(pair[0], pair[1], "twin01"); status != http.StatusOK {
			t.Fatalf("send %d: status %d", i+1, status)
		}
	}
	// The fifth from this IP, on either instance, is over the shared limit.
	if status := send(one, two, "twin01"); status != http.StatusTooManyRequests {
		t.Errorf("fifth send: status %d, want 429 from the shared per-IP limit", status)
	}

	// Three mails (the per-account limit), each delivered by exactly one
	// instance's worker. A worker marks a row sent only after its mailbox
	// holds the mail, and a sent row is never claimed again, so once every
	// row is sent the mailboxes hold all there will ever be.
	bdb := dbtest.OpenDSN(t, dsn)
	waitUntil(t, "three mails marked sent", func() bool {
		sent, err := bdb.NewSelect().Table("outbox").Where("status = ?", db.OutboxSent).Count(context.Background())
		return err == nil && sent == 3
	})
	if n, err := bdb.NewSelect().Table("outbox").Count(context.Background()); err != nil || n != 3 {
		t.Fatalf("%d outbox rows, %v; want 3", n, err)
	}
	links := append(c.mailLinks(one), c.mailLinks(two)...)
	if len(links) != 3 {
		t.Fatalf("%d mails delivered across both instances, want 3: %v", len(links), links)
	}
	seen := map[string]bool{}
	for _, l := range links {
		if seen[l] {
			t.Errorf("mail %s delivered twice", l)
		}
		seen[l] = true
	}

	// A login on one instance is valid on the other.
	c.post(one+"/login", url.Values{"login_id": {"twin01"}, "password": {"a-long-enough-passphrase"}})
	if home := c.get(two + "/"); !strings.Contains(home, "双子商店") {
		t.Errorf("the session from instance one is not valid on instance two:\n%s", home)
	}
}

// startInstance runs the binary on a free port and waits until it is ready;
// at the end of the test it sends SIGTERM and expects a clean exit.
func startInstance(t *testing.T, bin string, env []string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	var logs bytes.Buffer
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(env, "ADDR="+addr)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("instance %s did not stop cleanly: %v\n%s", addr, err, logs.String())
			}
		case <-time.After(time.Minute):
			_ = cmd.Process.Kill()
			t.Errorf("instance %s ignored SIGTERM", addr)
		}
	})
	base := "http://" + addr
	waitUntil(t, "instance "+addr+" to be ready", func() bool {
		res, err := http.Get(base + "/readyz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	})
	return base
}

// waitUntil polls cond until it holds. Its deadline is generous: it only
// decides when a state that never comes fails the test, so a busy machine
// does not.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

type client struct {
	t          *testing.T
	http       *http.Client
	lastStatus int
}

func newClient(t *testing.T) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, http: &http.Client{Jar: jar, Timeout: time.Minute}}
}

func (c *client) do(req *http.Request) string {
	c.t.Helper()
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	c.lastStatus = res.StatusCode
	return string(body)
}

func (c *client) get(u string) string {
	c.t.Helper()
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, u, nil)
	return c.do(req)
}

func (c *client) post(u string, form url.Values) string {
	c.t.Helper()
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return c.do(req)
}

// mailLinks lists the reset links in an instance's development mailbox.
func (c *client) mailLinks(base string) []string {
	c.t.Helper()
	list := c.get(base + "/_dev/mail")
	var links []string
	for _, m := range regexp.MustCompile(`href="(/_dev/mail/\d+)"`).FindAllStringSubmatch(list, -1) {
		page := c.get(base + m[1])
		if l := regexp.MustCompile(`token=[A-Za-z0-9_-]+`).FindString(page); l != "" {
			links = append(links, l)
		}
	}
	return links
}
