package e2e

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/uptrace/bun"

	"aikagi/app"
	"aikagi/app/cli"
	"aikagi/app/config"
	"aikagi/app/mail"
	"aikagi/app/route"
	"aikagi/app/secret"
	"aikagi/app/service"
	"aikagi/db"
	"aikagi/views"
)

// site is the app under test and the demo help center beside it, both
// served on real listeners: the app at http://localhost:PORT (its
// BASE_URL) and the help center at http://127.0.0.1:PORT, another site.
type site struct {
	base    string // the app's origin, BASE_URL
	demo    string // the demo help center's origin, in FRAME_ANCESTORS
	console string // the support console's origin, ADMIN_ADDR (console_site_test.go)
	env     map[string]string
	mailbox *mail.DevMailbox

	app      *fiber.App
	helpDesk *fiber.App
	db       *bun.DB
	stop     context.CancelFunc
	outbox   chan struct{}
	dir      string
	logFile  *os.File

	mu       sync.Mutex // serialises account creation
	accounts int
	named    map[string]account // by login ID

	// The support console (console_site_test.go).
	consoleApp *fiber.App
	staffCount int
}

// secretKey is a fixed SECRET_KEY, so a failing run can be replayed.
const secretKey = "e2e0e2e1e2e2e2e3e2e4e2e5e2e6e2e7e2e8e2e9e2eae2ebe2ece2ede2eee2ef"

// startSite builds the app as Serve does, on a fresh SQLite file, with the
// development mailbox. Its log goes to test-output/e2e-app.log.
func startSite() (*site, error) {
	dir, err := os.MkdirTemp("", "aikagi-e2e-*")
	if err != nil {
		return nil, err
	}
	appLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	demoLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		appLn.Close()
		return nil, err
	}
	consoleLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		appLn.Close()
		demoLn.Close()
		return nil, err
	}
	s := &site{
		base:    "http://localhost:" + portOf(appLn),
		demo:    "http://" + demoLn.Addr().String(),
		console: "http://localhost:" + portOf(consoleLn),
		dir:     dir,
	}
	s.env = map[string]string{
		"APP_ENV":         "development",
		"ADDR":            appLn.Addr().String(),
		"BASE_URL":        s.base,
		"DATABASE_URL":    "sqlite:" + filepath.Join(dir, "e2e.db"),
		"SECRET_KEY":      secretKey,
		"FRAME_ANCESTORS": s.demo,
		"DEMO_ADDR":       demoLn.Addr().String(),
		"ADMIN_ADDR":      consoleLn.Addr().String(),
		"CONSOLE_URL":     s.console,
		"MAIL_FROM":       "加盟店管理サイト <no-reply@example.com>",
		// A deployment's company and support desk, so that the checks of
		// every screen (axe, tap targets, line breaks) see their blocks.
		"COMPANY_NAME":     "株式会社サンプル",
		"COMPANY_NAME_EN":  "Sample Inc.",
		"PRIVACY_URL":      "https://www.example.com/privacy",
		"SUPPORT_NAME":     "加盟店サポートデスク",
		"SUPPORT_NAME_EN":  "Merchant Support Desk",
		"SUPPORT_PHONE":    "0120-000-000",
		"SUPPORT_HOURS":    "平日 9:00〜18:00(土日祝・年末年始を除く)",
		"SUPPORT_HOURS_EN": "Weekdays 9:00–18:00 JST, except holidays",
		"SUPPORT_URL":      "https://www.example.com/contact",
		// Every request comes from 127.0.0.1; the limits are tested elsewhere.
		"LIMIT_SENDS_PER_IP":        "1000/1h",
		"LIMIT_MAILS_PER_ACCOUNT":   "1000/1h",
		"LIMIT_LINK_GUESSES_PER_IP": "1000/15m",
		"LIMIT_LOGINS_PER_IP":       "1000/15m",
	}
	cfg, err := config.Load(s.getenv, secret.Random)
	if err != nil {
		return nil, err
	}
	if s.db, err = db.Open(cfg.DatabaseURL); err != nil {
		return nil, err
	}
	ctx, stop := context.WithCancel(context.Background())
	s.stop = stop
	if _, err := db.Migrate(ctx, s.db); err != nil {
		return nil, err
	}
	logOut := io.Discard
	if err := os.MkdirAll(outputDir, 0o755); err == nil {
		if s.logFile, err = os.Create(filepath.Join(outputDir, "e2e-app.log")); err == nil {
			logOut = s.logFile
		}
	}
	s.mailbox = mail.NewDevMailbox()
	svc := service.New(cfg, s.db, slog.New(slog.NewJSONHandler(logOut, nil)), time.Now, s.mailbox)
	a := app.New(svc)
	s.outbox = make(chan struct{})
	go func() {
		defer close(s.outbox)
		svc.RunWorkers(ctx)
	}()
	s.app = a.Handler()
	go func() { _ = s.app.Listener(appLn) }()
	s.helpDesk = app.DemoHelpCenter(cfg)
	go func() { _ = s.helpDesk.Listener(demoLn) }()
	s.startConsole(svc, consoleLn)
	return s, nil
}

func portOf(ln net.Listener) string {
	return fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)
}

func (s *site) getenv(name string) string { return s.env[name] }

// close stops the servers and the mail worker and removes the database.
func (s *site) close() {
	if s.app != nil {
		_ = s.app.ShutdownWithTimeout(5 * time.Second)
	}
	if s.helpDesk != nil {
		_ = s.helpDesk.ShutdownWithTimeout(time.Second)
	}
	if s.consoleApp != nil {
		_ = s.consoleApp.ShutdownWithTimeout(time.Second)
	}
	if s.stop != nil {
		s.stop()
	}
	if s.outbox != nil {
		<-s.outbox
	}
	if s.db != nil {
		s.db.Close()
	}
	if s.logFile != nil {
		s.logFile.Close()
	}
	os.RemoveAll(s.dir)
}

// account is a merchant created for one test.
type account struct {
	LoginID  string
	Email    string
	Store    string
	Password string
	Lang     views.Lang
}

// newAccount creates an account of its own for the calling test, so that
// tests running side by side never share mail or limits. email may be
// empty for an address of its own.
func (s *site) newAccount(t *testing.T, lang views.Lang, email string) account {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accounts++
	n := s.accounts
	acct := account{
		LoginID:  fmt.Sprintf("e2e-shop-%02d", n),
		Email:    email,
		Store:    fmt.Sprintf("山田商店 %d号店", n),
		Password: "the first passphrase of this shop",
		Lang:     lang,
	}
	if lang == views.En {
		acct.Store = fmt.Sprintf("Yamada Store No. %d", n)
	}
	if acct.Email == "" {
		acct.Email = fmt.Sprintf("owner%02d@example.jp", n)
	}
	s.create(t, acct)
	return acct
}

// readmeAccount is the README's example merchant, so that the screenshots
// in docs/ show what a reader would type. It is created once per run.
func (s *site) readmeAccount(t *testing.T) account {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	acct := account{LoginID: "taro-01", Email: "taro@example.jp", Store: "山田商店", Password: "a long passphrase of mine", Lang: views.Ja}
	if _, ok := s.named[acct.LoginID]; !ok {
		s.create(t, acct)
		s.named = map[string]account{acct.LoginID: acct}
	}
	return acct
}

// create runs "account create", as an operator would.
func (s *site) create(t *testing.T, acct account) {
	t.Helper()
	var stderr strings.Builder
	env := cli.Env{Getenv: s.getenv, Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: &stderr}
	args := []string{"create", "--login-id", acct.LoginID, "--email", acct.Email, "--store", acct.Store,
		"--locale", string(acct.Lang), "--password", acct.Password}
	if err := cli.AccountCommand(context.Background(), env, args); err != nil {
		t.Fatalf("account create: %v\n%s", err, stderr.String())
	}
}

// mailWait bounds waitMail: generous, since it only decides when a
// missing mail fails the test.
const mailWait = time.Minute

// sendReset has support staff send acct a reset link ("account send-reset")
// and returns the paths of the mail's two links: the reset link and
// 「心当たりがない場合」.
func (s *site) sendReset(t *testing.T, acct account) (link, report string) {
	t.Helper()
	after := s.lastMailID()
	var stderr strings.Builder
	env := cli.Env{Getenv: s.getenv, Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: &stderr}
	if err := cli.AccountCommand(context.Background(), env, []string{"send-reset", acct.LoginID}); err != nil {
		t.Fatalf("account send-reset: %v\n%s", err, stderr.String())
	}
	m := s.waitMail(t, acct.Email, "", after)
	link = regexp.MustCompile(regexp.QuoteMeta(s.base+route.Reset) + `\?\S+`).FindString(m.Text)
	report = regexp.MustCompile(regexp.QuoteMeta(s.base+route.Report) + `\?\S+`).FindString(m.Text)
	if link == "" || report == "" {
		t.Fatalf("the reset mail to %s lacks its links:\n%s", acct.Email, m.Text)
	}
	return strings.TrimPrefix(link, s.base), strings.TrimPrefix(report, s.base)
}

// waitMail waits for the mail worker to deliver a message to addr whose
// subject contains subject, newer than message id after.
func (s *site) waitMail(t *testing.T, addr, subject string, after int) mail.DevMessage {
	t.Helper()
	deadline := time.Now().Add(mailWait)
	for time.Now().Before(deadline) {
		for _, m := range s.mailbox.Messages() {
			if m.ID > after && m.To == addr && strings.Contains(m.Subject, subject) {
				return m
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no mail to %s with %q in the subject within %s", addr, subject, mailWait)
	return mail.DevMessage{}
}

// lastMailID is the id of the newest message in the mailbox, or 0.
func (s *site) lastMailID() int {
	if msgs := s.mailbox.Messages(); len(msgs) > 0 {
		return msgs[0].ID
	}
	return 0
}

// world is what every browser test shares: the site and the browser,
// started by the first test that needs them and stopped by TestMain.
var world struct {
	once    sync.Once
	site    *site
	browser *browser
	err     error
}

func shared(t *testing.T) (*site, *browser) {
	t.Helper()
	path, err := chromiumPath()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("browser tests need Chromium (make deps installs Debian's chromium): %v", err)
		}
		t.Skipf("skipping browser test: %v (install Debian's chromium or set CHROMIUM)", err)
	}
	world.once.Do(func() {
		if world.site, world.err = startSite(); world.err != nil {
			return
		}
		world.browser, world.err = startBrowser(path)
	})
	if world.err != nil {
		t.Fatalf("starting the browser tests: %v", world.err)
	}
	return world.site, world.browser
}

func TestMain(m *testing.M) {
	code := m.Run()
	if world.browser != nil {
		world.browser.close()
	}
	if world.site != nil {
		world.site.close()
	}
	os.Exit(code)
}
