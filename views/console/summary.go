package console

import (
	"strings"
)

// Summary opens the account page with the answer to 「メールが届かない」:
// the latest request and what came of it, in words, then the account's
// status, how mail to its address fares, and what to do next.
type Summary struct {
	Chain    []string // "12/8 09:09 依頼(一致)", "09:09 送信", "不達: 受信拒否 ezweb.ne.jp"
	Bounced  bool     // the chain ends in a bounce or a complaint
	Raw      string   // what the provider said, as it said it; behind a disclosure
	Status   string
	Delivery string // the address's last delivery result, in words
	Advice   string // what to do next, in words
	Next     []NextStep
}

// NextStep is an action the summary offers: one of the account page's.
type NextStep struct {
	ID, Href, Label string
}

// BounceCause is why a mail did not arrive, as a support agent names it.
type BounceCause string

// Bounce causes, from the provider's words.
const (
	CauseNoUser     BounceCause = "no_user"    // no such mailbox: a typo or a closed address
	CauseFull       BounceCause = "full"       // the mailbox is full
	CauseRejected   BounceCause = "rejected"   // the receiving side refused it (filters, carriers' settings)
	CauseNoDomain   BounceCause = "no_domain"  // the domain does not exist or takes no mail
	CauseSuppressed BounceCause = "suppressed" // the provider no longer sends there after earlier bounces or complaints
	CauseTemporary  BounceCause = "temporary"  // a soft bounce: it may arrive on a later try
	CauseComplained BounceCause = "complained" // the recipient marked it as spam
	CauseOther      BounceCause = "other"
)

// bounceWords are what a provider's bounce text says, by cause, checked
// in this order against the lower-cased text.
var bounceWords = []struct {
	cause BounceCause
	words []string
}{
	{CauseSuppressed, []string{"suppressed", "suppression"}},
	{CauseNoUser, []string{"5.1.1", "user unknown", "unknown user", "no such user", "does not exist", "mailbox unavailable", "recipient address rejected", "invalid recipient", "mailbox not found"}},
	{CauseNoDomain, []string{"5.1.2", "host not found", "domain not found", "no mx", "unrouteable", "name or service not known"}},
	{CauseFull, []string{"5.2.2", "mailbox full", "quota", "insufficient storage"}},
	{CauseRejected, []string{"5.7.", "reject", "blocked", "denied", "refused", "policy", "spam", "filter"}},
	{CauseTemporary, []string{"transient", "temporar", "try again", "deferred"}},
}

// BounceCauseOf reads why a mail did not arrive from what the provider
// said about it.
func BounceCauseOf(detail string) BounceCause {
	s := strings.ToLower(detail)
	for _, b := range bounceWords {
		for _, w := range b.words {
			if strings.Contains(s, w) {
				return b.cause
			}
		}
	}
	return CauseOther
}

// carrierDomains are the Japanese mobile carriers' mail domains, whose
// default settings often refuse mail with links or from computers.
var carrierDomains = []string{"docomo.ne.jp", "ezweb.ne.jp", "au.com", "softbank.ne.jp", "i.softbank.jp", "ymobile.ne.jp", "rakuten.jp"}

// IsCarrier says whether domain is a mobile carrier's.
func IsCarrier(domain string) bool {
	for _, d := range carrierDomains {
		if domain == d || strings.HasSuffix(domain, "."+d) {
			return true
		}
	}
	return false
}

// Domain is the part of addr after its last @.
func Domain(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return strings.ToLower(addr[i+1:])
	}
	return ""
}

// BounceReason is cause in t's words; a refusal by a carrier's domain says
// what usually causes it.
func (t *Text) BounceReason(cause BounceCause, domain string) string {
	if cause == CauseRejected && IsCarrier(domain) {
		return t.CauseCarrier
	}
	switch cause {
	case CauseNoUser:
		return t.CauseNoUser
	case CauseFull:
		return t.CauseFull
	case CauseRejected:
		return t.CauseRejected
	case CauseNoDomain:
		return t.CauseNoDomain
	case CauseSuppressed:
		return t.CauseSuppressed
	case CauseTemporary:
		return t.CauseTemporary
	case CauseComplained:
		return t.CauseComplained
	case CauseOther:
	}
	return t.CauseOther
}

// BounceFix is what support can tell the merchant about cause, or "".
func (t *Text) BounceFix(cause BounceCause, domain string) string {
	switch {
	case cause == CauseRejected && IsCarrier(domain):
		return t.FixCarrier
	case cause == CauseNoUser, cause == CauseNoDomain, cause == CauseSuppressed, cause == CauseComplained:
		return t.FixAddress
	case cause == CauseFull:
		return t.FixFull
	}
	return ""
}
