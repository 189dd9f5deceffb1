// Command bench measures Aikagi on this machine and prints the figures for
// BENCHMARKS.md. Run it through `make bench`, which starts a throw-away
// PostgreSQL and sets TEST_DATABASE_URL. All load goes to 127.0.0.1, bounded
// in time.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

var (
	duration  = flag.Duration("duration", 10*time.Second, "length of each load run")
	runs      = flag.Int("runs", 3, "runs per measurement; medians are reported")
	only      = flag.String("only", "regist,enum,step3rate,intakelatency,loginfloor,reset,memory,outbox,crash,burst,pace,flood,intakepg", "measurements to run, comma-separated; console (minutes of seeding) runs only when named")
	soak      = flag.Duration("soak", 0, "also soak GET step 1 for this long, sampling memory (e.g. 10m)")
	dbs       = flag.String("db", "postgres,sqlite", "databases that enum compares")
	logins    = flag.Int("logins", 150, "loginfloor: pairs of failed logins (each about 2 × LOGIN_FAILURE_MIN_DURATION)")
	mailCalls = flag.Bool("mail-calls", false, "burst, pace, flood: log every call the fake Resend took (when, answer, mails)")
)

const secret = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

func main() {
	flag.Parse()
	log.SetFlags(0)
	admin := os.Getenv("TEST_DATABASE_URL")
	if admin == "" {
		log.Fatal("bench: TEST_DATABASE_URL is not set; run make bench")
	}
	tmp, err := os.MkdirTemp("", "aikagi-bench")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "aikagi")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		log.Fatalf("go build: %v\n%s", err, out)
	}
	fmt.Printf("# Aikagi benchmarks\n\nMachine: %s, %d cores, %s; %s\n\n", cpuModel(), runtime.NumCPU(), runtime.Version(), time.Now().UTC().Format(time.RFC3339))
	b := &bench{bin: bin, admin: admin, tmp: tmp}
	for _, name := range strings.Split(*only, ",") {
		switch name {
		case "regist":
			b.regist()
		case "enum":
			b.enum()
		case "step3rate":
			b.step3rate()
		case "intakelatency":
			b.intakeLatency()
		case "loginfloor":
			b.loginFloor()
		case "reset":
			b.reset()
		case "memory":
			b.memory()
		case "outbox":
			b.outbox()
		case "crash":
			b.crash()
		case "console":
			b.consoleBench()
		case "burst":
			b.burst()
		case "pace":
			b.pace()
		case "flood":
			b.flood()
		case "intakepg":
			b.intakePG()
		default:
			log.Fatalf("unknown measurement %q", name)
		}
	}
	if *soak > 0 {
		b.soak(*soak)
	}
}

type bench struct {
	bin, admin, tmp string
}
