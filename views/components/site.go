package components

// Site is who runs the service, in one language, from the settings
// (app/config's Brand): it names the header, the footer and the sender of
// pages and mails, and says how to reach the support desk. Only Name is
// always set.
type Site struct {
	Name       string // SITE_NAME or SITE_NAME_EN
	Company    string // COMPANY_NAME; empty when not set
	Logo       string // LOGO_FILE as a data: URL; empty for the key icon
	PrivacyURL string
	Support    Contact
}
