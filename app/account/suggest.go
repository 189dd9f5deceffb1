package account

import "strings"

// commonDomains are the domains merchants register most: the Japanese
// carriers' mail, the common webmail and the big providers' mail. An
// address at one of them is never questioned; an address whose domain is
// a known confusion of one, or (for the longer names) one edit away from
// one, gets a 「もしかして」 at step 2.
var commonDomains = []string{
	// Carriers.
	"docomo.ne.jp", "ezweb.ne.jp", "au.com", "softbank.ne.jp", "i.softbank.jp",
	"ymobile.ne.jp", "rakumail.jp", "uqmobile.jp",
	// Webmail.
	"gmail.com", "googlemail.com", "yahoo.co.jp", "ymail.ne.jp", "icloud.com", "me.com", "mac.com",
	"outlook.jp", "outlook.com", "hotmail.co.jp", "hotmail.com", "live.jp", "live.com", "msn.com",
	"rakuten.jp", "aol.com",
	// Providers.
	"nifty.com", "biglobe.ne.jp", "ocn.ne.jp", "so-net.ne.jp", "ybb.ne.jp",
	// Real domains one edit away from one above, which must not be
	// questioned either.
	"ymail.com", "mail.com", "email.com",
}

// confusedDomains are domains typed for a common one that are not one edit
// away from it: the right name with another suffix, most often.
var confusedDomains = map[string]string{
	"docomo.co.jp": "docomo.ne.jp", "docomo.jp": "docomo.ne.jp",
	"ezweb.jp": "ezweb.ne.jp", "ezweb.co.jp": "ezweb.ne.jp", "ezweb.com": "ezweb.ne.jp",
	"au.jp": "au.com", "au.ne.jp": "au.com", "au.co.jp": "au.com",
	"i.softbank.ne.jp": "i.softbank.jp", "i.softbank.co.jp": "i.softbank.jp",
	"ymobile.jp": "ymobile.ne.jp", "ymobile.co.jp": "ymobile.ne.jp",
	"gmail.jp": "gmail.com", "gmail.co.jp": "gmail.com", "gmail.ne.jp": "gmail.com", "gmail.com.jp": "gmail.com",
	"yahoo.jp": "yahoo.co.jp", "yahoo.ne.jp": "yahoo.co.jp", "yahoo.com.jp": "yahoo.co.jp",
	"ymail.jp": "ymail.ne.jp", "ymail.co.jp": "ymail.ne.jp",
	"icloud.jp": "icloud.com", "icloud.co.jp": "icloud.com", "icloud.ne.jp": "icloud.com",
	"outlook.co.jp": "outlook.jp", "outlook.ne.jp": "outlook.jp",
	"hotmail.jp": "hotmail.co.jp", "hotmail.ne.jp": "hotmail.co.jp",
}

// SuggestEmail returns the address a normalised, valid addr was most
// likely meant to be, or "" when its domain looks right or unknown: a
// known confusion of a common domain (docomo.co.jp, gmail.co.jp,
// ezweb.jp), or one edit (a letter added, left out, changed, or two
// swapped: gmial.com) away from exactly one common domain whose longest
// label has five letters or more; shorter names such as au.com have too
// many real neighbours. It depends on the text alone, never on the
// accounts. The local part is kept as typed.
func SuggestEmail(addr string) string {
	at := strings.LastIndex(addr, "@")
	if at < 0 {
		return ""
	}
	local, domain := addr[:at], strings.ToLower(addr[at+1:])
	for _, d := range commonDomains {
		if domain == d {
			return ""
		}
	}
	if d, ok := confusedDomains[domain]; ok {
		return local + "@" + d
	}
	suggestion := ""
	for _, d := range commonDomains {
		if longestLabel(d) < 5 || !oneEditApart(domain, d) {
			continue
		}
		if suggestion != "" {
			return "" // two common domains are as close: no guess
		}
		suggestion = local + "@" + d
	}
	return suggestion
}

// longestLabel is the length of d's longest dot-separated label.
func longestLabel(d string) int {
	longest := 0
	for _, label := range strings.Split(d, ".") {
		longest = max(longest, len(label))
	}
	return longest
}

// oneEditApart reports whether a becomes b by one edit: a character added,
// left out or changed, or two neighbours swapped (the optimal string
// alignment distance is 1). It is written here rather than taken from a
// library because only this one case is needed, and a few lines decide it.
func oneEditApart(a, b string) bool {
	x, y := []rune(a), []rune(b)
	if len(x) > len(y) {
		x, y = y, x
	}
	i := 0
	for i < len(x) && x[i] == y[i] {
		i++
	}
	switch {
	case len(y)-len(x) == 1: // one added
		return string(x[i:]) == string(y[i+1:])
	case len(y) != len(x) || i == len(x):
		return false
	case string(x[i+1:]) == string(y[i+1:]): // one changed
		return true
	}
	return i+1 < len(x) && x[i] == y[i+1] && x[i+1] == y[i] && string(x[i+2:]) == string(y[i+2:]) // two swapped
}
