package console

import (
	"fmt"
	"time"
)

// Japan is the support desk's time zone: every time on a console page is
// Japan's, as the merchants' mail says it. A fixed +09:00 rather than
// time.LoadLocation("Asia/Tokyo"): Japan has had no daylight saving time
// since 1951, so the two agree, and a fixed zone needs no tzdata on the
// host (a slim container has none, and the lookup would fail there).
var Japan = time.FixedZone("JST", 9*60*60)

// recentPast is how long after a moment the console also says how long
// ago it was.
const recentPast = 24 * time.Hour

// Moment is a time as a console page shows it: in Japan time, with how long
// ago for the recent past; the UTC time goes in a tooltip, for an operator
// matching it with logs. A zero At shows Text alone (「なし」).
type Moment struct {
	At   time.Time
	Text string // Japan time in the page's language
	Ago  string // "3分前"; "" for the future and the older past
}

// Moment is at as t's pages show it at now.
func (t *Text) Moment(at, now time.Time) Moment {
	m := Moment{At: at, Text: t.JapanTime(at)}
	if d := now.Sub(at); d >= 0 && d < recentPast {
		m.Ago = t.ago(d)
	}
	return m
}

// NoMoment is the Moment of something that has not happened: Text alone.
func NoMoment(text string) Moment { return Moment{Text: text} }

// JapanTime is at in Japan time, for a time within a sentence (a pause's
// end, a link's expiry).
func (t *Text) JapanTime(at time.Time) string { return at.In(Japan).Format(t.TimeFormat) }

// ago says how long d is, in the largest whole unit.
func (t *Text) ago(d time.Duration) string {
	switch {
	case d < time.Minute:
		return t.JustNow
	case d < time.Hour:
		return fmt.Sprintf(t.MinutesAgo, int(d/time.Minute))
	}
	return fmt.Sprintf(t.HoursAgo, int(d/time.Hour))
}

// utcTitle is the tooltip of a moment.
func utcTitle(at time.Time) string { return at.UTC().Format("2006-01-02 15:04:05") + " UTC" }
