// The app's process: started on a database with the limits lifted,
// stopped, and its memory read from /proc.

package main

import (
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// server is one running app process.
type server struct {
	cmd  *exec.Cmd
	base string
	dsn  string
	log  string // its log file
}

// start runs the binary on a fresh PostgreSQL database with the limits
// lifted (they would refuse a load test) and extra settings.
func (b *bench) start(extra ...string) *server {
	return b.startOn(b.freshDB(), extra...)
}

// startOn runs the binary on the database dsn, which may already hold
// accounts and other servers, with the limits lifted and extra settings.
func (b *bench) startOn(dsn string, extra ...string) *server {
	addr := freePort()
	env := append(os.Environ(),
		"DATABASE_URL="+dsn, "SECRET_KEY="+secret, "ADDR="+addr, "BASE_URL=http://"+addr, "DEMO_ADDR=off",
		"LIMIT_SENDS_PER_IP=100000000/1h", "LIMIT_MAILS_PER_ACCOUNT=100000000/1h",
		"LIMIT_LOGINS_PER_IP=100000000/1h", "LIMIT_LINK_GUESSES_PER_IP=100000000/1h")
	env = append(env, extra...)
	logFile, _ := os.Create(filepath.Join(b.tmp, "server-"+strings.ReplaceAll(addr, ":", "_")+".log"))
	cmd := exec.Command(b.bin, "serve")
	cmd.Env, cmd.Stdout, cmd.Stderr = env, logFile, logFile
	if err := cmd.Start(); err != nil {
		log.Fatal(err)
	}
	s := &server{cmd: cmd, base: "http://" + addr, dsn: dsn, log: logFile.Name()}
	for start := time.Now(); time.Since(start) < 30*time.Second; time.Sleep(50 * time.Millisecond) {
		if res, err := http.Get(s.base + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return s
			}
		}
	}
	log.Fatalf("server did not start; see %s", logFile.Name())
	return nil
}

func (s *server) stop() {
	_ = s.cmd.Process.Signal(os.Interrupt)
	_ = s.cmd.Wait()
}

// rssKB reads the process's resident memory now and at its peak.
func (s *server) rssKB() (now, peak int) {
	data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "VmRSS:" {
			now, _ = strconv.Atoi(f[1])
		}
		if len(f) >= 2 && f[0] == "VmHWM:" {
			peak, _ = strconv.Atoi(f[1])
		}
	}
	return now, peak
}

func freePort() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
