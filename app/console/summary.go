package console

import (
	"context"
	"fmt"
	"time"

	"aikagi/db"
	vc "aikagi/views/console"
)

// summary is the answer to 「メールが届かない」 that opens the account page:
// the latest request and what came of it, in the page's words and Japan
// time, then the status, how mail to the address fares, and what to do
// next with links to v's actions.
func (con *Console) summary(ctx context.Context, t *vc.Text, acct *db.Account, v *vc.AccountView) (vc.Summary, error) {
	s := vc.Summary{Status: v.Status, Advice: t.AdviceNone}
	req, err := db.LatestRequest(ctx, con.db, acct.ID, acct.LoginID, con.resets.AddressTags(acct.Email))
	if err != nil {
		return s, err
	}
	last, err := db.LastDelivery(ctx, con.db, acct.ID, acct.Email)
	if err != nil {
		return s, err
	}
	s.Delivery = t.DeliveryNone
	if last != nil {
		s.Delivery = fmt.Sprintf(t.DeliveryResult, deliveryResult(t, last), t.JapanTime(*last.DeliveryEventAt))
	}
	changeAddress := last != nil && undeliverable(last)
	if req != nil {
		s.Chain, s.Advice, s.Raw = requestChain(t, req)
		if m := req.Mail; m != nil && undeliverable(m) {
			s.Bounced, changeAddress = true, true
		}
		if req.Kind == db.AuditResetUnmatched || req.Kind == db.AuditReminderUnmatched {
			changeAddress = true
		}
	}
	if v.Paused {
		s.Advice += " " + t.AdvicePaused
	}
	if v.Disabled {
		s.Advice = t.AdviceDisabled
		return s, nil
	}
	if v.SendResetHref != "" {
		s.Next = append(s.Next, vc.NextStep{ID: "next-send-reset", Href: v.SendResetHref, Label: t.SendResetTitle})
	}
	if changeAddress && v.Actions.ChangeEmailHref != "" {
		s.Next = append(s.Next, vc.NextStep{ID: "next-change-email", Href: v.Actions.ChangeEmailHref, Label: t.ChangeAddress})
	}
	if v.Paused && v.Actions.LiftPauseHref != "" {
		s.Next = append(s.Next, vc.NextStep{ID: "next-lift-pause", Href: v.Actions.LiftPauseHref, Label: t.LiftPauseTitle})
	}
	return s, nil
}

// requestChain words req and what came of it as steps, with the advice
// that follows and the provider's own words on a bounce.
func requestChain(t *vc.Text, req *db.RequestChain) (chain []string, advice, raw string) {
	day := req.At.In(vc.Japan)
	// at is a later step's time: the day only when it is not the request's.
	at := func(x time.Time) string {
		x = x.In(vc.Japan)
		if y, m, d := x.Date(); y == day.Year() && m == day.Month() && d == day.Day() {
			return x.Format(t.ChainClock)
		}
		return x.Format(t.ChainDay)
	}
	first := day.Format(t.ChainDay) + " "
	switch req.Kind {
	case db.AuditResetRequested:
		first += t.ReqMatched
	case db.AuditResetByOperator:
		first += fmt.Sprintf(t.ReqByStaff, vc.Shown(req.Staff))
	case db.AuditResetLimited:
		return []string{first + t.ReqLimited}, t.AdviceLimited, ""
	case db.AuditResetDisabled:
		return []string{first + t.ReqDisabled}, t.AdviceDisabled, ""
	default: // an unmatched request that named the account
		if req.Shared == db.SameAddress {
			return []string{first + t.ReqUnmatchedAddr}, t.AdviceUnmatched, ""
		}
		return []string{first + t.ReqUnmatchedID}, t.AdviceUnmatched, ""
	}
	chain = []string{first}
	m := req.Mail
	if m == nil {
		return chain, t.AdviceFailed, ""
	}
	if m.SentAt != nil {
		chain = append(chain, at(*m.SentAt)+" "+t.ChainSent)
	}
	var step string
	domain := vc.Domain(m.ToAddr)
	switch {
	case m.DeliveryEvent != "" && m.DeliveryEventAt != nil:
		step, advice = at(*m.DeliveryEventAt)+" "+deliveryResult(t, m), t.AdviceWaiting
		switch m.DeliveryEvent {
		case db.DeliveryDelivered:
			advice = t.AdviceArrived
		case db.DeliveryBounced, db.DeliveryFailed, db.DeliveryComplained:
			cause := bounceCause(m)
			advice, raw = t.AdviceBounced, m.DeliveryDetail
			if fix := t.BounceFix(cause, domain); fix != "" {
				advice += " " + fix
			}
		case db.DeliveryDelayed:
		}
	case m.DeadAt != nil:
		step, advice, raw = at(*m.DeadAt)+" "+t.ChainDead, t.AdviceFailed, m.LastError
	case m.ExpiredAt != nil:
		step, advice = at(*m.ExpiredAt)+" "+t.ChainExpired, t.AdviceFailed
	case m.SentAt != nil:
		step, advice = t.ChainAwaiting, t.AdviceWaiting
	default:
		step, advice = t.ChainQueued, t.AdviceWaiting
	}
	chain = append(chain, step+" "+vc.Shown(domain))
	if l := req.Link; l != nil && l.UsedAt != nil {
		chain = append(chain, at(*l.UsedAt)+" "+t.ChainUsed)
		advice = t.AdviceUsed
	}
	return chain, advice, raw
}

// deliveryResult is the provider's latest word on m, in words.
func deliveryResult(t *vc.Text, m *db.OutboxMail) string {
	switch m.DeliveryEvent {
	case db.DeliveryDelivered:
		return t.ChainDelivered
	case db.DeliveryDelayed:
		return t.ChainDelayed
	case db.DeliveryComplained:
		return t.ChainComplained
	case db.DeliveryBounced, db.DeliveryFailed:
		return fmt.Sprintf(t.ChainBounced, t.BounceReason(bounceCause(m), vc.Domain(m.ToAddr)))
	}
	return t.ChainAwaiting
}

// bounceCause is why m did not arrive, from what the provider said.
func bounceCause(m *db.OutboxMail) vc.BounceCause {
	if m.DeliveryEvent == db.DeliveryComplained {
		return vc.CauseComplained
	}
	return vc.BounceCauseOf(m.DeliveryDetail)
}

// undeliverable says whether the provider's latest word on m means more
// mail to its address will not arrive either: a bounce other than a
// temporary one, a failure to send, or a complaint.
func undeliverable(m *db.OutboxMail) bool {
	switch m.DeliveryEvent {
	case db.DeliveryBounced, db.DeliveryFailed:
		return bounceCause(m) != vc.CauseTemporary
	case db.DeliveryComplained:
		return true
	case db.DeliveryDelivered, db.DeliveryDelayed:
	}
	return false
}
