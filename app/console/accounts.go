package console

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"aikagi/app/staff"
	"aikagi/db"
	"aikagi/views"
	vc "aikagi/views/console"
)

// timelinePage is how many entries of the timeline a page shows; a run
// of failed logins is one.
const timelinePage = 25

// showAccount is the account page: the summary of the latest request,
// status, address and its delivery health, and the timeline a page at a
// time.
func (con *Console) showAccount(c *fiber.Ctx) error {
	id, err := c.ParamsInt("id")
	if err != nil {
		return fiber.ErrNotFound
	}
	rctx := c.UserContext()
	acct, err := db.GetAccount(rctx, con.db, int64(id))
	if err != nil {
		return err
	}
	if acct == nil {
		return fiber.ErrNotFound
	}
	t := con.text(c)
	v := vc.AccountView{T: t, LoginID: acct.LoginID, Store: acct.StoreName, Email: acct.Email, Locale: localeName(acct.Locale), Status: t.StatusActive}
	paused, err := db.LoginPausedUntil(rctx, con.db, acct.LoginID, con.now(), con.cfg.LockoutThreshold, con.cfg.LockoutWindow)
	if err != nil {
		return err
	}
	switch {
	case acct.DisabledAt != nil:
		v.Status, v.Disabled = t.StatusOff, true
	case paused != nil:
		v.Status, v.Paused = t.StatusPaused+" "+t.JapanTime(*paused), true
	}
	health, err := db.AddressHealth(rctx, con.db, acct.ID, acct.Email)
	if err != nil {
		return err
	}
	now := con.now()
	v.LastDelivered, v.LastBounced, v.LastComplained = orNever(t, health.LastDelivered, now), orNever(t, health.LastBounced, now), orNever(t, health.LastComplained, now)
	page := max(c.QueryInt("page", 1), 1)
	entries, more, err := db.AccountHistory(rctx, con.db, acct.ID, now, (page-1)*timelinePage, timelinePage)
	if err != nil {
		return err
	}
	for _, e := range entries {
		v.Timeline = append(v.Timeline, vc.Entry{At: t.Moment(e.At, now), Source: string(e.Source), What: e.What,
			Detail: entryDetail(t, e), IP: entryIP(t, e), Staff: e.Staff, Count: e.Count})
	}
	if more {
		v.OlderHref = accountPath(acct.ID) + "?page=" + strconv.Itoa(page+1) + "#timeline-heading"
	}
	if page > 1 {
		v.NewerHref = accountPath(acct.ID) + "?page=" + strconv.Itoa(page-1) + "#timeline-heading"
	}
	if v.Lookalikes, err = con.lookalikes(rctx, t, acct, c.QueryInt("lookalikes", 1)); err != nil {
		return err
	}
	_, member := current(c)
	if staff.Can(member.Role, staff.SendReset) {
		v.SendResetHref = accountPath(acct.ID) + "/send-reset"
	}
	if v.Actions, err = con.accountActions(c, member, acct, paused != nil); err != nil {
		return err
	}
	if v.Summary, err = con.summary(rctx, t, acct, &v); err != nil {
		return err
	}
	// After sendReset: only a time is shown, so a crafted link cannot
	// put words on the page.
	if sent, err := time.Parse(time.RFC3339, c.Query("sent")); err == nil {
		v.Notice = t.ResetSent + " " + t.JapanTime(sent)
	}
	if n := notice(c.Query("done")).text(t); n != "" {
		v.Notice = n
	}
	return con.render(c, fiber.StatusOK, t.AccountTitle+" "+acct.LoginID, vc.Account(v))
}

// orNever is at as a page shows it at now, or 「なし」.
func orNever(t *vc.Text, at *time.Time, now time.Time) vc.Moment {
	if at == nil {
		return vc.NoMoment(t.Never)
	}
	return t.Moment(*at, now)
}

// localeName is the mail language by its own name (日本語, English), with
// its code: support reads the name, the CLI takes the code.
func localeName(locale string) string {
	if l, ok := views.ParseLang(locale); ok {
		return views.T(l).LangName + " (" + locale + ")"
	}
	return locale
}

// entryDetail words a link's or a mail's facts in t's language; an audit
// event's detail is shown as recorded.
func entryDetail(t *vc.Text, e db.TimelineEntry) string {
	var parts []string
	if !e.Since.IsZero() && e.Count > 1 {
		parts = append(parts, fmt.Sprintf(t.FailedRun, e.Count, t.JapanTime(e.Since)))
	}
	if !e.Until.IsZero() {
		parts = append(parts, t.ValidUntil+" "+t.JapanTime(e.Until))
	}
	if e.MailKind != "" {
		mail := t.MailName(e.MailKind)
		if e.To != "" {
			mail = fmt.Sprintf(t.MailToAddr, mail, e.To)
		}
		parts = append(parts, mail)
	}
	if e.Note != "" {
		parts = append(parts, e.Note)
	}
	if e.Detail != "" {
		parts = append(parts, e.Detail)
	}
	return strings.Join(parts, t.DetailSep)
}

// entryIP is the address an entry came from; a run of failed logins from
// several says how many.
func entryIP(t *vc.Text, e db.TimelineEntry) string {
	if e.IPs > 1 {
		return fmt.Sprintf(t.FromAddresses, e.IPs)
	}
	return e.IP
}
