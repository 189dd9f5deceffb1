// Package email renders the mails: an HTML part inside one shared layout
// (one table, inline styles, no images, so it reads the same in Gmail, iOS
// Mail and carrier mail) and a plain-text part with the same content. The
// wording is views.Text's, in the recipient account's language.
package email
