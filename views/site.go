package views

import "aikagi/views/components"

// Site is who runs the service, in the page's language, from the settings
// (app/config's Brand): it names the header, the footer and the sender,
// and says how to reach the support desk. Only Name is always set.
type Site struct {
	Name       string // SITE_NAME or SITE_NAME_EN
	Company    string // COMPANY_NAME; empty when not set
	Logo       string // LOGO_FILE as a data: URL; empty for the key icon
	PrivacyURL string
	Support    components.Contact
}

// SupportBlock is the support desk's block with t's labels; heading and
// lead say why it is shown (heading "" for t.Support.Heading).
func (t *Text) SupportBlock(id, heading, lead string, c components.Contact) components.SupportBlock {
	if heading == "" {
		heading = t.Support.Heading
	}
	return components.SupportBlock{ID: id, Heading: heading, Lead: lead, Contact: c,
		PhoneLabel: t.Support.Phone, HoursLabel: t.Support.Hours, LinkLabel: t.Support.Link}
}
