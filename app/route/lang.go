package route

import "golang.org/x/text/language"

// Lang is a UI and mail language, as ?lang= and an account's locale name
// it. Japanese is the default; English is the second.
type Lang string

const (
	Ja Lang = "ja"
	En Lang = "en"
)

// Langs lists the supported languages, default first.
var Langs = []Lang{Ja, En}

// ParseLang returns the language named by s, and whether it is supported.
func ParseLang(s string) (Lang, bool) {
	switch Lang(s) {
	case Ja, En:
		return Lang(s), true
	}
	return Ja, false
}

// Other is the language a page offers to switch to.
func (l Lang) Other() Lang {
	if l == En {
		return Ja
	}
	return En
}

var langMatcher = language.NewMatcher([]language.Tag{language.Japanese, language.English})

// MatchAcceptLanguage picks the best supported language for an
// Accept-Language header, Japanese when nothing fits.
func MatchAcceptLanguage(header string) Lang {
	tags, _, err := language.ParseAcceptLanguage(header)
	if err != nil || len(tags) == 0 {
		return Ja
	}
	_, index, confidence := langMatcher.Match(tags...)
	if confidence == language.No {
		return Ja
	}
	return Langs[index]
}
