package views

import "aikagi/views/components"

// Site is who runs the service, in the page's language (components.Site).
type Site = components.Site

// SupportBlock is the support desk's block with t's labels; heading and
// lead say why it is shown (heading "" for t.Support.Heading).
func (t *Text) SupportBlock(id, heading, lead string, c components.Contact) components.SupportBlock {
	if heading == "" {
		heading = t.Support.Heading
	}
	return components.SupportBlock{ID: id, Heading: heading, Lead: lead, Contact: c,
		PhoneLabel: t.Support.Phone, HoursLabel: t.Support.Hours, LinkLabel: t.Support.Link}
}
