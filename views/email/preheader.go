package email

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/a-h/templ"
)

// withPreheader renders mail with preview as the first text of its body:
// the line a phone's mail list shows under the subject, hidden once the
// mail is opened. It goes right after <body>, ahead of the frame's own
// first line (mailLayout), which is why it wraps the rendered mail rather
// than sitting among the mail's paragraphs.
func withPreheader(preview string, mail templ.Component) templ.Component {
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		var buf bytes.Buffer
		if err := mail.Render(ctx, &buf); err != nil {
			return err
		}
		html := buf.Bytes()
		body := bytes.Index(html, []byte("<body"))
		end := bytes.IndexByte(html[max(body, 0):], '>')
		if body < 0 || end < 0 {
			return fmt.Errorf("mail preheader: no <body> in the mail")
		}
		at := body + end + 1
		if _, err := w.Write(html[:at]); err != nil {
			return err
		}
		if err := preheader(preview).Render(ctx, w); err != nil {
			return err
		}
		_, err := w.Write(html[at:])
		return err
	})
}

// previewFiller follows the preheader so that a mail list shows nothing of
// the body after it: invisible joiners and spaces, which mail apps take as
// text and do not show.
var previewFiller = strings.Repeat("\u200c\u00a0", 60)
