package recovery

import (
	"aikagi/app/config"
	"aikagi/app/mail"
	"aikagi/app/route"
	"aikagi/views/components"
	"aikagi/views/email"
)

// SiteIn is who runs the service and how to reach its support desk, from
// the settings, in l: what the pages' header, footer and support blocks
// and the mails' footers show.
func SiteIn(b config.Brand, l route.Lang) components.Site {
	lang := string(l)
	s := components.Site{
		Name:       b.SiteName.In(lang),
		Company:    b.Company.In(lang),
		Logo:       b.Logo,
		PrivacyURL: b.PrivacyURL,
		Support: components.Contact{
			Phone: b.SupportPhone.In(lang),
			Hours: b.SupportHours.In(lang),
			URL:   b.SupportURL.In(lang),
		},
	}
	if s.Support.Phone != "" {
		s.Support.Tel = config.TelURL(s.Support.Phone)
	}
	// A desk's name is shown in English only as given: the block's heading
	// already says what it is.
	if l == route.Ja || b.SupportName.En != "" {
		s.Support.Name = b.SupportName.In(lang)
	}
	return s
}

// framed puts the company and the support desk into m's footer, in
// lang: replies to the sender go nowhere, so every mail says whom to ask.
func (s *Service) framed(lang route.Lang, m mail.Outgoing) mail.Outgoing {
	site := SiteIn(s.cfg.Brand, lang)
	m.Text += email.PlainFooter(lang, site)
	m.HTML = email.WithSite(site, m.HTML)
	return m
}
