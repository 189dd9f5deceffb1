package views

// SuggestText is step 2's 「もしかして」: an address whose domain looks
// mistyped (account.SuggestEmail), the one-tap fix back to step 1, and
// keeping the address as typed.
type SuggestText struct {
	Title string
	Lead  func(typed, suggested string) string // the two domains
	Fix   func(domain string) string           // the button back to step 1 with the suggested domain
	Keep  string                               // the address may be right as typed: 「送信する」 as usual
}

var jaSuggest = SuggestText{
	Title: "もしかして、このメールアドレスですか？",
	Lead: func(typed, suggested string) string {
		return "「" + typed + "」は「" + suggested + "」の入力間違いかもしれません。間違ったアドレスにはメールが届きません。"
	},
	Fix:  func(domain string) string { return domain + "に直す" },
	Keep: "入力したとおりで正しい場合は、このまま「送信する」を押してください。",
}

var enSuggest = SuggestText{
	Title: "Did you mean this address?",
	Lead: func(typed, suggested string) string {
		return "“" + typed + "” may be a typo for “" + suggested + "”. Email sent to a wrong address never arrives."
	},
	Fix:  func(domain string) string { return "Change to " + domain },
	Keep: "If the address is right as you typed it, select “Send” as usual.",
}
