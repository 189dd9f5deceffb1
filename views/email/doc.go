// Package email renders the mails: an HTML part inside one shared layout
// (one table, inline styles, no images, so it reads the same in Gmail, iOS
// Mail and carrier mail) and a plain-text part with the same content. The
// wording is views.Text's, in the recipient account's language.
//
// The HTML keeps to what Gmail, Outlook, Apple Mail and Yahoo support:
// the main button padded on its table cell (mailButton), URL lines broken
// with <wbr> rather than word-break (urlText), checked against caniemail's
// data by lint/lint-mails.mjs in TestMailsPassTheEmailClientLint.
package email
