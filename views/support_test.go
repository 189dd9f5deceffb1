package views

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"

	"aikagi/app/problem"
	"aikagi/app/route"
	"aikagi/views/components"
	"aikagi/views/viewtest"
)

// sites are a site without the support settings and one with all of them.
var (
	bareSite = Site{Name: "加盟店管理サイト"}
	fullSite = Site{
		Name: "加盟店管理サイト", Company: "株式会社ペイ", PrivacyURL: "https://pay.example/privacy",
		Logo: "data:image/svg+xml;base64,PHN2Zy8+",
		Support: components.Contact{
			Name: "加盟店サポートデスク", Phone: "0120-000-000", Tel: "tel:0120000000",
			Hours: "平日 9:00〜18:00", URL: "https://pay.example/contact",
		},
	}
)

// wantSupport checks the support block sel: all of fullSite's contact,
// the tel: link, the link leaving the iframe, and the labels of lang.
func wantSupport(t *testing.T, doc *goquery.Document, sel string, text *Text, heading string) {
	t.Helper()
	viewtest.WantText(t, doc, sel+" h2", heading)
	viewtest.WantAttr(t, doc, sel, "aria-labelledby", strings.TrimPrefix(sel, "#")+"-title")
	viewtest.WantText(t, doc, sel+" .support-name", "加盟店サポートデスク")
	viewtest.WantAttr(t, doc, sel+" a.support-phone", "href", "tel:0120000000")
	viewtest.WantText(t, doc, sel+" a.support-phone", "0120-000-000")
	viewtest.WantText(t, doc, sel+" .support-hours", "平日 9:00〜18:00")
	viewtest.WantAttr(t, doc, sel+" a.support-link", "href", "https://pay.example/contact")
	viewtest.WantAttr(t, doc, sel+" a.support-link", "target", "_top")
	viewtest.WantText(t, doc, sel+" a.support-link", text.Support.Link)
	if body := viewtest.Text(t, doc, sel); !strings.Contains(body, text.Support.Phone) || !strings.Contains(body, text.Support.Hours) {
		t.Errorf("%s = %q lacks the labels", sel, body)
	}
}

func TestSupportComponent(t *testing.T) {
	text := T(Ja)
	for _, c := range []components.Contact{{}, {Name: "窓口だけ", Hours: "平日"}} {
		doc := viewtest.Render(t, components.Support(text.SupportBlock("support", "", "lead", c)))
		if html, _ := doc.Find("body").Html(); strings.TrimSpace(html) != "" {
			t.Errorf("%+v: an unreachable desk renders %q, want nothing", c, html)
		}
	}
	// A telephone number alone is enough.
	doc := viewtest.Render(t, components.Support(text.SupportBlock("support", "", "", components.Contact{Phone: "03-0000-0000", Tel: "tel:0300000000"})))
	viewtest.WantText(t, doc, "#support h2", text.Support.Heading)
	viewtest.WantAttr(t, doc, "a.support-phone", "href", "tel:0300000000")
	for _, sel := range []string{".support-name", ".support-hours", ".support-link", "#support > p"} {
		viewtest.WantNone(t, doc, sel)
	}
}

func TestStepFormSupport(t *testing.T) {
	for _, lang := range Langs {
		text := T(lang)
		for _, j := range []Journey{ResetJourney, ReminderJourney} {
			t.Run(string(lang)+" "+string(j.Name), func(t *testing.T) {
				doc := viewtest.Render(t, StepFormView(StepForm{T: text, J: j, Site: fullSite}))
				wantSupport(t, doc, "#no-email", text, text.Support.NoEmailHeading)
				viewtest.WantText(t, doc, "#no-email > p", text.Support.NoEmailLead)

				doc = viewtest.Render(t, StepFormView(StepForm{T: text, J: j, Site: bareSite}))
				viewtest.WantNone(t, doc, "#no-email")
				viewtest.WantNone(t, doc, "section")
			})
		}
	}
	viewtest.WantText(t, viewtest.Render(t, StepFormView(StepForm{T: T(Ja), J: ResetJourney, Site: fullSite})), "#no-email h2", "登録メールアドレスが使えない方")
}

func TestRequestSentSupport(t *testing.T) {
	// 05:56 UTC is 14:56 in Japan.
	sentAt := time.Date(2026, 4, 1, 5, 56, 30, 0, time.UTC)
	tests := []struct {
		lang     Lang
		ttl      time.Duration
		deadline string
	}{
		{Ja, 30 * time.Minute, "メールのURLから15:26までに新しいパスワードを設定してください。"},
		{Ja, 24 * time.Hour, "メールのURLから4月2日 14:56までに新しいパスワードを設定してください。"},
		{En, 30 * time.Minute, "Use the link in the email to set a new password by 15:26 (Japan time)."},
		{En, 24 * time.Hour, "Use the link in the email to set a new password by 14:56 on 2 April (Japan time)."},
	}
	for _, tc := range tests {
		t.Run(string(tc.lang)+" "+tc.ttl.String(), func(t *testing.T) {
			text, q := T(tc.lang), "?lang="+string(tc.lang)
			for _, site := range []Site{bareSite, fullSite} {
				doc := viewtest.Render(t, RequestSentView(RequestSent{T: text, Site: site, From: "no-reply@pay.example.com", TTL: tc.ttl, SentAt: sentAt}))
				viewtest.WantText(t, doc, "#sent-deadline", tc.deadline)
				viewtest.WantAttr(t, doc, "#request-again", "href", route.Request+q)
				viewtest.WantAttr(t, doc, "#request-again", "hx-get", route.Request+q)
				viewtest.WantText(t, doc, "#request-again", text.Support.RequestAgain)
				viewtest.WantText(t, doc, "#carrier-domain", text.Support.CarrierDomain("pay.example.com"))
				viewtest.WantText(t, doc, "#carrier-settings", text.Support.CarrierSettings)
				// The tips are read by older merchants on phones: body size.
				if small := doc.Find("#sent-tips .text-sm, #sent-tips .text-xs, #sent-tips.text-sm").Length(); small != 0 {
					t.Errorf("%d tips in small print", small)
				}
				if site.Support.Reachable() {
					wantSupport(t, doc, "#support", text, text.Support.Heading)
					viewtest.WantText(t, doc, "#support > p", text.Support.SentLead)
				} else {
					viewtest.WantNone(t, doc, "#support")
					viewtest.WantNone(t, doc, "section")
				}
			}
		})
	}
	ja := viewtest.Render(t, RequestSentView(RequestSent{T: T(Ja), Site: bareSite, From: "no-reply@example.com", TTL: 30 * time.Minute, SentAt: sentAt}))
	for _, want := range []string{"「@example.com」", "「URL付きメール拒否」", "「パソコンからのメール拒否」", "docomo", "au", "SoftBank"} {
		if !strings.Contains(viewtest.Text(t, ja, "#sent-tips"), want) {
			t.Errorf("step 3's tips do not say %s", want)
		}
	}
	viewtest.WantText(t, ja, "#request-again", "もう一度依頼する")
}

func TestReminderSentSupport(t *testing.T) {
	for _, lang := range Langs {
		text, q := T(lang), "?lang="+string(lang)
		doc := viewtest.Render(t, ReminderSentView(text, "no-reply@example.com", fullSite))
		wantSupport(t, doc, "#support", text, text.Support.Heading)
		viewtest.WantAttr(t, doc, "#request-again", "href", route.ReminderRequest+q)
		viewtest.WantText(t, doc, "#carrier-domain", text.Support.CarrierDomain("example.com"))
		viewtest.WantNone(t, doc, "#sent-deadline") // the reminder sends no link
		viewtest.WantNone(t, viewtest.Render(t, ReminderSentView(text, "no-reply@example.com", bareSite)), "#support")
	}
}

func TestErrorPageSupportAndWayBack(t *testing.T) {
	for _, lang := range Langs {
		text, q := T(lang), "?lang="+string(lang)
		t.Run(string(lang), func(t *testing.T) {
			doc := viewtest.Render(t, ErrorPage(ErrorView{T: text, Problem: problem.NotFound, Site: fullSite}))
			wantSupport(t, doc, "#support", text, text.Support.Heading)
			viewtest.WantText(t, doc, "#support > p", text.Support.ErrorLead)
			viewtest.WantNone(t, viewtest.Render(t, ErrorPage(ErrorView{T: text, Problem: problem.NotFound, Site: bareSite})), "#support")

			for _, tc := range []struct{ back, href, label, target string }{
				{"", route.Request + q, text.BackToStart, ""},
				{route.Request, route.Request + q, text.BackToStart, ""},
				{route.ReminderRequest, route.ReminderRequest + q, text.Support.BackToReminder, ""},
				{route.Login, route.Login + q, text.Support.BackToLogin, "_top"},
			} {
				doc := viewtest.Render(t, ErrorPage(ErrorView{T: text, Problem: problem.TooManyRequests, Back: tc.back, Wait: 14*time.Minute + 5*time.Second}))
				viewtest.WantAttr(t, doc, "#error-back", "href", tc.href)
				viewtest.WantText(t, doc, "#error-back", tc.label)
				if got := doc.Find("#error-back").AttrOr("target", ""); got != tc.target {
					t.Errorf("back %q: target %q, want %q", tc.back, got, tc.target)
				}
				// 14 min 5 s left in the window: say 15 minutes, never less.
				viewtest.WantText(t, doc, "#error-summary p", text.Support.TooManyRequests(15*time.Minute))
			}
		})
	}
	doc := viewtest.Render(t, ErrorPage(ErrorView{T: T(Ja), Problem: problem.TooManyRequests, Wait: time.Hour}))
	viewtest.WantText(t, doc, "#error-summary p", "短い時間に多くの操作が行われたため、受付を一時的に止めています。1時間ほど待ってから、もう一度お試しください。")
	doc = viewtest.Render(t, ErrorPage(ErrorView{T: T(En), Problem: problem.TooManyRequests, Wait: 30 * time.Second}))
	viewtest.WantText(t, doc, "#error-summary p", "There were too many attempts in a short time, so we have paused requests for now. Please wait about 1 minute, then try again.")
	// Without a known wait, the message stays the general one.
	doc = viewtest.Render(t, ErrorPage(ErrorView{T: T(Ja), Problem: problem.TooManyRequests}))
	viewtest.WantText(t, doc, "#error-summary p", T(Ja).Problem(problem.TooManyRequests))
}

// TestLoginLockedSaysHowLong: the lockout page is headed by what happened
// (nothing was mistyped) and says how long the pause lasts at most.
func TestLoginLockedSaysHowLong(t *testing.T) {
	for _, tc := range []struct {
		lang          Lang
		heading, want string
	}{
		{Ja, "ログインを一時停止しています", "ログインに続けて失敗したため、このログインIDでのログインを一時的に制限しています。最長15分でもう一度ログインできます。"},
		{En, "Logging in is paused", "After several failed attempts, logging in with this login ID is paused. You can log in again within 15 minutes."},
	} {
		text := T(tc.lang)
		doc := viewtest.Render(t, LoginFormView(LoginForm{T: text, Problem: problem.LoginLocked, Wait: 15 * time.Minute}))
		viewtest.WantText(t, doc, "#error-summary h2", tc.heading)
		viewtest.WantText(t, doc, "#error-summary li", tc.want)
		viewtest.WantAttr(t, doc, "p.rounded-lg a", "href", route.Request+"?lang="+string(tc.lang))
	}
}

// TestStepsLookLikeProgress checks the step indicator: 入力/確認/メール送信,
// the current step marked, and nothing styled like a button.
func TestStepsLookLikeProgress(t *testing.T) {
	for _, lang := range Langs {
		text := T(lang)
		for current := 1; current <= 3; current++ {
			doc := viewtest.Render(t, components.Steps(text.Steps, current, text.StepOf(current)))
			viewtest.WantText(t, doc, "li[aria-current=step]", string(rune('0'+current))+"."+text.Steps[current-1])
			for _, li := range doc.Find("li").EachIter() {
				class := li.AttrOr("class", "")
				for _, buttonish := range []string{"rounded", "shadow", "border-2", "bg-brand-700", "ring"} {
					if strings.Contains(class, buttonish) {
						t.Errorf("%s step %d: class %q has %q, which looks like a button", lang, current, class, buttonish)
					}
				}
			}
		}
	}
	if got := T(Ja).Steps; got != [3]string{"入力", "確認", "メール送信"} {
		t.Errorf("ja steps = %q", got)
	}
	if got := T(En).Steps; got != [3]string{"Details", "Check", "Email sent"} {
		t.Errorf("en steps = %q", got)
	}
}

func TestLayoutBrand(t *testing.T) {
	for _, lang := range Langs {
		text := T(lang)
		t.Run(string(lang), func(t *testing.T) {
			doc := renderLayout(t, Page{T: text, Title: "t", Site: fullSite})
			viewtest.WantText(t, doc, "header #site-company", "株式会社ペイ")
			viewtest.WantText(t, doc, "header #site-name", "加盟店管理サイト")
			viewtest.WantAttr(t, doc, "header img", "src", fullSite.Logo)
			viewtest.WantNone(t, doc, "header svg")
			viewtest.WantAttr(t, doc, "#footer-privacy", "href", "https://pay.example/privacy")
			viewtest.WantText(t, doc, "#footer-privacy", text.Support.Privacy)
			viewtest.WantAttr(t, doc, "#footer-support", "href", "https://pay.example/contact")
			viewtest.WantAttr(t, doc, "#footer-support", "target", "_top")
			viewtest.WantText(t, doc, "#footer-owner", "© 株式会社ペイ")

			doc = renderLayout(t, Page{T: text, Title: "t", Site: bareSite})
			viewtest.WantNone(t, doc, "#site-company")
			viewtest.WantNone(t, doc, "header img")
			viewtest.WantAttr(t, doc, "header svg", "aria-hidden", "true")
			viewtest.WantNone(t, doc, "footer ul")
			viewtest.WantNone(t, doc, "footer a")
			viewtest.WantText(t, doc, "#footer-owner", "© 加盟店管理サイト")
		})
	}
}

func renderLayout(t *testing.T, p Page) *goquery.Document {
	t.Helper()
	var buf bytes.Buffer
	ctx := templ.WithChildren(context.Background(), ReportDoneView(p.T))
	if err := Layout(p).Render(ctx, &buf); err != nil {
		t.Fatal(err)
	}
	doc, err := goquery.NewDocumentFromReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// TestJapaneseCopyHasNoStraySpaces checks the Japanese wording for
// spaces between Japanese words, which read as mistakes.
func TestJapaneseCopyHasNoStraySpaces(t *testing.T) {
	ja := T(Ja)
	for name, s := range map[string]string{
		"StepOf":      ja.StepOf(1),
		"HomeLead":    ja.HomeLead("山田商店"),
		"SentExpiry":  ja.SentExpiry(30 * time.Minute),
		"Deadline":    ja.Support.Deadline(time.Now(), time.Now().Add(time.Minute)),
		"LoginLocked": ja.Support.LoginLocked(15 * time.Minute),
		"TooMany":     ja.Support.TooManyRequests(time.Hour),
		"NoEmailLead": ja.Support.NoEmailLead,
		"MailNoReply": ja.Support.MailNoReply("加盟店管理サイト"),
	} {
		if strings.ContainsAny(s, " 　") {
			t.Errorf("%s = %q has a space", name, s)
		}
	}
	if ja.ReminderTitle != "ログインID確認依頼" {
		t.Errorf("ReminderTitle = %q", ja.ReminderTitle)
	}
	if !strings.Contains(ja.SentExpiry(30*time.Minute), "お手続きください") {
		t.Errorf("SentExpiry = %q, want the polite お手続きください", ja.SentExpiry(30*time.Minute))
	}
}
