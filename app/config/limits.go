package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Limit allows Max events per Window, counted in the database so that every
// instance shares it.
type Limit struct {
	Max    int
	Window time.Duration
}

func (l Limit) String() string { return fmt.Sprintf("%d/%v", l.Max, l.Window) }

// Limits are the rate limits, each set by an environment variable such as
// LIMIT_MAILS_PER_ACCOUNT=3/1h.
type Limits struct {
	SendsPerIP       Limit // step 3 submissions per client IP
	MailsPerAccount  Limit // reset mails per account; more requests still see step 3
	LinkGuessesPerIP Limit // unknown reset links opened or submitted per client IP
	LoginsPerIP      Limit // login attempts per client IP
}

func defaultLimits() Limits {
	return Limits{
		SendsPerIP:       Limit{20, time.Hour},
		MailsPerAccount:  Limit{3, time.Hour},
		LinkGuessesPerIP: Limit{20, 15 * time.Minute},
		LoginsPerIP:      Limit{50, 15 * time.Minute},
	}
}

// ParseLimit reads "N/DURATION", for example "3/1h".
func ParseLimit(s string) (Limit, error) {
	n, d, ok := strings.Cut(s, "/")
	max, err := strconv.Atoi(strings.TrimSpace(n))
	if !ok || err != nil || max < 1 {
		return Limit{}, fmt.Errorf("%q: use COUNT/DURATION such as 3/1h", s)
	}
	window, err := time.ParseDuration(strings.TrimSpace(d))
	if err != nil || window < time.Second || window > 24*time.Hour {
		return Limit{}, fmt.Errorf("%q: use COUNT/DURATION such as 3/1h (1s to 24h)", s)
	}
	return Limit{Max: max, Window: window}, nil
}
