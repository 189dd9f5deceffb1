package console

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"aikagi/app/limit"
	"aikagi/db"
	"aikagi/views"
	vc "aikagi/views/console"
)

// jst is the support desk's time zone: the overview's days are Japan's.
var jst = vc.Japan

// The overview's two spans.
const (
	overviewHours = 24
	overviewDays  = 14
)

// loadHours reads the overview's figures from the database; the cache
// calls it for the hours it does not hold.
func (con *Console) loadHours(ctx context.Context, from, to time.Time) ([]db.OverviewHour, error) {
	return db.OverviewHours(ctx, con.db, from, to, string(limit.SendsPerIP))
}

// overview reads and lays out the home page's overview as of now.
func (con *Console) overview(ctx context.Context, t *vc.Text) (*vc.OverviewView, error) {
	now := con.now()
	to := now.UTC().Truncate(time.Hour).Add(time.Hour)
	first := firstDay(now)
	hours, err := con.hours.get(ctx, now, first, to)
	if err != nil {
		return nil, err
	}
	attention, err := db.NeedsAttention(ctx, con.db, now)
	if err != nil {
		return nil, err
	}
	backlog, err := db.CurrentBacklog(ctx, con.db)
	if err != nil {
		return nil, err
	}
	last := hours[len(hours)-overviewHours:]
	days := byDay(hours, first)
	lastSum, daySum := sum(last), sum(days)
	v := &vc.OverviewView{
		Attention:     attentionLists(t, attention),
		Median24h:     medianText(t, lastSum.Waits),
		Median14d:     medianText(t, daySum.Waits),
		IntakeBacklog: backlogText(t, backlog.Intake, backlog.IntakeOldest, now),
		OutboxBacklog: backlogText(t, backlog.Outbox, backlog.OutboxOldest, now),
	}
	hourBars := func(values func(db.OverviewHour) []int) []vc.Bar { return bars(last, values, hourLabels(t)) }
	dayBars := func(values func(db.OverviewHour) []int) []vc.Bar { return bars(days, values, dayLabels(t, len(days))) }
	v.Requests24h = requestChart(t, "requests-24h", t.Last24h, t.HourlyDesc, t.Hour, lastSum, hourBars(requestValues))
	v.Requests14d = requestChart(t, "requests-14d", t.Last14d, t.DailyDesc, t.Day, daySum, dayBars(requestValues))
	v.Mails24h = mailChart(t, "mails-24h", t.Last24h, t.HourlyDesc, t.Hour, lastSum, hourBars(mailValues))
	v.Mails14d = mailChart(t, "mails-14d", t.Last14d, t.DailyDesc, t.Day, daySum, dayBars(mailValues))
	v.Resets24h = resetChart(t, "resets-24h", t.Last24h, t.HourlyDesc, t.Hour, lastSum, v.Median24h, hourBars(resetValues))
	v.Resets14d = resetChart(t, "resets-14d", t.Last14d, t.DailyDesc, t.Day, daySum, v.Median14d, dayBars(resetValues))
	return v, nil
}

// firstDay is the start of the first of the overview's days: Japan's
// midnight overviewDays-1 days before now's.
func firstDay(now time.Time) time.Time {
	y, m, d := now.In(jst).Date()
	return time.Date(y, m, d-(overviewDays-1), 0, 0, 0, 0, jst)
}

// byDay adds the hours up into Japan's days, from first on.
func byDay(hours []db.OverviewHour, first time.Time) []db.OverviewHour {
	days := make([]db.OverviewHour, overviewDays)
	for i := range days {
		days[i].Start = first.AddDate(0, 0, i)
	}
	for _, h := range hours {
		if i := dayIndex(days, h.Start); i >= 0 {
			days[i].Add(h)
		}
	}
	return days
}

func dayIndex(days []db.OverviewHour, at time.Time) int {
	for i := len(days) - 1; i >= 0; i-- {
		if !at.Before(days[i].Start) {
			return i
		}
	}
	return -1
}

func sum(buckets []db.OverviewHour) db.OverviewHour {
	var total db.OverviewHour
	for _, b := range buckets {
		total.Add(b)
	}
	return total
}

// barLabel names bar i of a chart: under the axis ("" for none) and in the table.
type barLabel func(i int, start time.Time) (axis, row string)

// hourLabels labels every sixth hour under the axis: 0, 6, 12 and 18 時.
func hourLabels(t *vc.Text) barLabel {
	return func(_ int, start time.Time) (string, string) {
		at := start.In(jst)
		if at.Hour()%6 == 0 {
			return at.Format(t.HourAxis), at.Format(t.HourRow)
		}
		return "", at.Format(t.HourRow)
	}
}

// dayLabels labels every other day under the axis, today included.
func dayLabels(t *vc.Text, n int) barLabel {
	return func(i int, start time.Time) (string, string) {
		at := start.In(jst)
		if (n-1-i)%2 == 0 {
			return at.Format(t.DayAxis), at.Format(t.DayRow)
		}
		return "", at.Format(t.DayRow)
	}
}

func bars(buckets []db.OverviewHour, values func(db.OverviewHour) []int, label barLabel) []vc.Bar {
	out := make([]vc.Bar, len(buckets))
	for i, b := range buckets {
		axis, row := label(i, b.Start)
		out[i] = vc.Bar{Axis: axis, Row: row, Values: values(b)}
	}
	return out
}

func requestValues(h db.OverviewHour) []int {
	return []int{h.Requests.Matched, h.Requests.Unmatched, h.Requests.Limited}
}

func mailValues(h db.OverviewHour) []int {
	return []int{h.Mails.Sent, h.Mails.Delivered, h.Mails.Bounced, h.Mails.Dead}
}

func resetValues(h db.OverviewHour) []int { return []int{h.Resets} }

// part is one figure of a chart's total line: 一致 100.
func part(t *vc.Text, name string, n int) string { return fmt.Sprintf(t.PartFormat, name, n) }

func total(t *vc.Text, period, noun string, n int, parts ...string) string {
	if len(parts) == 0 {
		return fmt.Sprintf(t.TotalOnlyFormat, period, noun, n)
	}
	return fmt.Sprintf(t.TotalFormat, period, noun, n, strings.Join(parts, t.PartSep))
}

func requestChart(t *vc.Text, id, period, desc, key string, s db.OverviewHour, b []vc.Bar) vc.Chart {
	r := s.Requests
	return vc.Chart{ID: id, Title: t.RequestsTitle + " — " + period, Desc: desc, Key: key, Table: t.ChartTable, Bars: b,
		Series: []string{t.Matched, t.Unmatched, t.Limited},
		Total: total(t, period, t.Requests, r.Matched+r.Unmatched+r.Limited,
			part(t, t.Matched, r.Matched), part(t, t.Unmatched, r.Unmatched), part(t, t.Limited, r.Limited))}
}

// mailChart sets the series side by side: a mail sent is later delivered
// or bounced, so stacking them would count it twice.
func mailChart(t *vc.Text, id, period, desc, key string, s db.OverviewHour, b []vc.Bar) vc.Chart {
	m := s.Mails
	return vc.Chart{ID: id, Title: t.MailsTitle + " — " + period, Desc: desc, Key: key, Table: t.ChartTable, Bars: b, Grouped: true,
		Series: []string{t.Sent, t.Delivered, t.Bounced, t.Dead},
		Total: total(t, period, t.Mails, m.Sent,
			part(t, t.Delivered, m.Delivered), part(t, t.Bounced, m.Bounced), part(t, t.Dead, m.Dead))}
}

// resetChart says the median wait (medianText's) after the count, when
// there were resets.
func resetChart(t *vc.Text, id, period, desc, key string, s db.OverviewHour, median string, b []vc.Bar) vc.Chart {
	var parts []string
	if len(s.Waits) > 0 {
		parts = append(parts, t.Median+" "+median)
	}
	return vc.Chart{ID: id, Title: t.ResetsTitle + " — " + period, Desc: desc, Key: key, Table: t.ChartTable, Bars: b,
		Series: []string{t.ResetsSeries},
		Total:  total(t, period, t.Resets, s.Resets, parts...)}
}

// median is the middle of waits (the mean of the two middle ones for an
// even count); ok is false when there are none.
func median(waits []time.Duration) (d time.Duration, ok bool) {
	if len(waits) == 0 {
		return 0, false
	}
	sorted := slices.Clone(waits)
	slices.Sort(sorted)
	mid := len(sorted) / 2
	if len(sorted)%2 == 1 {
		return sorted[mid], true
	}
	return (sorted[mid-1] + sorted[mid]) / 2, true
}

func medianText(t *vc.Text, waits []time.Duration) string {
	d, ok := median(waits)
	if !ok {
		return t.NoResets
	}
	return views.Duration(t.Lang, d.Round(time.Second))
}

func backlogText(t *vc.Text, n int, oldest, now time.Time) string {
	if n == 0 || oldest.IsZero() {
		return fmt.Sprintf(t.BacklogCount, n)
	}
	return fmt.Sprintf(t.BacklogOldest, n, views.Duration(t.Lang, now.Sub(oldest).Round(time.Second)))
}

// attentionLists lays out the needs-attention lists, each item linking to
// its account.
func attentionLists(t *vc.Text, a db.Attention) []vc.AttentionList {
	return []vc.AttentionList{
		{ID: "attention-reported", Title: t.AttnReported, Items: attentionLines(t, a.Reported)},
		{ID: "attention-repeated", Title: fmt.Sprintf(t.AttnRepeated, db.RepeatedRequestThreshold), Items: attentionLines(t, a.Repeated)},
		{ID: "attention-bounced", Title: t.AttnBounced, Items: attentionLines(t, a.Bounced)},
		{ID: "attention-dead", Title: t.AttnDead, Items: attentionLines(t, a.Dead)},
		{ID: "attention-expired", Title: t.AttnExpired, Help: t.AttnExpiredHelp, Items: attentionLines(t, a.Expired)},
	}
}

func attentionLines(t *vc.Text, items []db.AttentionItem) []vc.AttentionLine {
	lines := make([]vc.AttentionLine, 0, len(items))
	for _, it := range items {
		l := vc.AttentionLine{LoginID: it.LoginID, What: attentionWhat(t, it), At: it.At.In(jst).Format(t.ItemTime)}
		if it.AccountID != 0 {
			l.Href = accountPath(it.AccountID)
		}
		lines = append(lines, l)
	}
	return lines
}

// attentionWhat says what happened to the item's mail or account.
func attentionWhat(t *vc.Text, it db.AttentionItem) string {
	switch it.Kind {
	case db.AttentionBounced:
		switch db.DeliveryEvent(it.What) {
		case db.DeliveryComplained:
			return t.EventComplained
		case db.DeliveryFailed:
			return t.EventFailed
		}
		return t.EventBounced
	case db.AttentionDead, db.AttentionExpired:
		return t.MailName(it.What) // the mail's kind
	case db.AttentionReported:
		return t.EventReported
	case db.AttentionRepeated:
		return fmt.Sprintf(t.RepeatedCount, it.Count)
	}
	return it.What
}
