package phrase

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/a-h/templ"
)

// TestModelMatchesBudouX: the parser splits as BudouX 0.9.2's own
// JavaScript parser does with the same model (the phrases below are what
// `new Parser(jaModel).parse(s)` returns), before this package's rules.
func TestModelMatchesBudouX(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"パスワード再設定依頼", []string{"パスワード再設定依頼"}},
		{"入力内容の確認", []string{"入力内容の", "確認"}},
		{"新しいパスワードの設定", []string{"新しい", "パスワードの", "設定"}},
		{"再設定用URLを無効にする", []string{"再設定用URLを", "無効に", "する"}},
		{"パスワード再設定に心当たりがない場合", []string{"パスワード再設定に", "心当たりが", "ない", "場合"}},
		{"どちらのアカウントを再設定しますか", []string{"どちらの", "アカウントを", "再設定しますか"}},
		{"ログインIDまたはパスワードが正しくありません。", []string{"ログインIDまたは", "パスワードが", "正しく", "ありません。"}},
		{"この操作はできません", []string{"この", "操作は", "できません"}},
		{"今日は天気です。", []string{"今日は", "天気です。"}},
		{"「確認する」を押してください。", []string{"「確認する」を", "押してください。"}},
		{"ドメイン指定受信などの受信設定をしている場合は、「no-reply@example.jp」からのメールを受信できるように設定してください。",
			[]string{"ドメイン指定受信などの", "受信設定を", "している", "場合は、", "「no-reply@example.jp」からの", "メールを", "受信できるように", "設定してください。"}},
	} {
		r := []rune(tc.in)
		var got []string
		start := 0
		for _, b := range japanese().boundaries(tc.in) {
			got = append(got, string(r[start:b]))
			start = b
		}
		got = append(got, string(r[start:]))
		if !slices.Equal(got, tc.want) {
			t.Errorf("BudouX phrases of %q = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestSplit: this app's headings, buttons, labels and step pills break
// between phrases, never inside a word, and English is left alone.
func TestSplit(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		// Headings.
		{"パスワード再設定依頼", []string{"パスワード再設定依頼"}},
		{"入力内容の確認", []string{"入力内容の", "確認"}},
		{"メール送信完了", []string{"メール送信完了"}},
		{"新しいパスワードの設定", []string{"新しい", "パスワードの", "設定"}},
		{"パスワード再設定完了", []string{"パスワード再設定完了"}},
		{"ログインIDのお問い合わせ", []string{"ログインIDの", "お問い合わせ"}},
		{"入力内容を確認してください", []string{"入力内容を", "確認してください"}},
		{"ページが見つかりません", []string{"ページが", "見つかりません"}},
		{"Cookieを有効にしてください", []string{"Cookieを", "有効に", "してください"}},
		// Buttons.
		{"確認する", []string{"確認する"}},
		{"送信する", []string{"送信する"}},
		{"修正する", []string{"修正する"}},
		{"パスワードを変更する", []string{"パスワードを", "変更する"}},
		{"パスワードを表示する", []string{"パスワードを", "表示する"}},
		{"ログイン画面へ", []string{"ログイン画面へ"}},
		{"再設定用URLを無効にする", []string{"再設定用URLを", "無効に", "する"}},
		// Labels and step pills.
		{"ログインID", []string{"ログインID"}},
		{"登録メールアドレス", []string{"登録メールアドレス"}},
		{"新しいパスワード(確認)", []string{"新しい", "パスワード(確認)"}},
		{"入力", []string{"入力"}},
		// A login ID and a store name stay whole.
		{"taro-01(山田商店)のまま続ける", []string{"taro-01(山田商店)の", "まま", "続ける"}},
		// English, and text without any Japanese, is one piece.
		{"Request a password reset", []string{"Request a password reset"}},
		{"Check your entries", []string{"Check your entries"}},
		{"taro-01", []string{"taro-01"}},
		{"", []string{""}},
	} {
		got := Split(tc.in)
		if !slices.Equal(got, tc.want) {
			t.Errorf("Split(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if strings.Join(got, "") != tc.in {
			t.Errorf("Split(%q) joined is %q", tc.in, strings.Join(got, ""))
		}
	}
}

// TestBreaks: the rules applied to BudouX's boundaries.
func TestBreaks(t *testing.T) {
	for _, tc := range []struct {
		name       string
		in         string
		boundaries []int
		want       []int
	}{
		{"kept", "入力内容の確認", []int{5}, []int{5}},
		{"not after an opening bracket", "「確認する」を押す", []int{1}, nil},
		{"not before a closing bracket", "「確認する」を押す", []int{5}, nil},
		{"after a closing bracket", "「確認する」を押す", []int{6, 7}, []int{7}},
		{"not before 。 or 、", "確認。送信、完了", []int{2, 5}, nil},
		{"not before a small kana or ー", "ちょっとメール", []int{1, 2, 5}, nil},
		{"not inside a Latin word", "taro-01の設定", []int{2, 4, 5}, nil},
		{"not beside a space", "山田商店 1号店", []int{4, 5}, nil},
		{"a last character joins the phrase before", "設定する用", []int{2, 4}, []int{2}},
		{"a first character joins the phrase after", "全ステップ中です", []int{1, 5}, []int{5}},
		{"single characters all round", "あいう", []int{1, 2}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := breaks([]rune(tc.in), slices.Clone(tc.boundaries))
			if !slices.Equal(got, tc.want) {
				t.Errorf("breaks(%q, %v) = %v, want %v", tc.in, tc.boundaries, got, tc.want)
			}
		})
	}
}

func render(t *testing.T, c templ.Component) string {
	t.Helper()
	var b bytes.Buffer
	if err := c.Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestText(t *testing.T) {
	for _, tc := range []struct {
		in    string
		whole []string
		want  string
	}{
		{"入力内容の確認", nil, `<span class="phrase">入力内容の<wbr>確認</span>`},
		{"確認する", nil, `<span class="phrase">確認する</span>`},
		{"新しいパスワードの設定", nil, `<span class="phrase">新しい<wbr>パスワードの<wbr>設定</span>`},
		// Escaped, phrase by phrase.
		{"<b>入力</b>の&確認", nil, `<span class="phrase">&lt;b&gt;入力&lt;/b&gt;の<wbr>&amp;確認</span>`},
		// English is written as it is, escaped.
		{"Check your entries", nil, "Check your entries"},
		{"Tom & <Jerry>", nil, "Tom &amp; &lt;Jerry&gt;"},
		// A login ID in a button stays whole, in either language.
		{"taro-01(山田商店)のまま続ける", []string{"taro-01"},
			`<span class="phrase"><span class="break-address">taro-01</span>(山田商店)の<wbr>まま<wbr>続ける</span>`},
		{"Continue with taro-01 (Yamada Store)", []string{"taro-01"},
			`Continue with <span class="break-address">taro-01</span> (Yamada Store)`},
		// No phrase boundary inside a whole word.
		{"新しいパスワードの設定", []string{"いパス"}, `<span class="phrase">新し<span class="break-address">いパス</span>ワードの<wbr>設定</span>`},
	} {
		if got := render(t, Text(tc.in, tc.whole...)); got != tc.want {
			t.Errorf("Text(%q, %q) = %s, want %s", tc.in, tc.whole, got, tc.want)
		}
	}
}

func TestUnbroken(t *testing.T) {
	for _, tc := range []struct {
		in    string
		words []string
		want  string
	}{
		// The brackets and the full stop go with the address, lest they be
		// left alone at the end or the start of a line.
		{"「no-reply@example.jp」からのメール", []string{"no-reply@example.jp"},
			`<span class="break-address">「no-reply@example.jp」</span>からのメール`},
		{"allow mail from “no-reply@example.jp”.", []string{"no-reply@example.jp"},
			`allow mail from <span class="break-address">“no-reply@example.jp”.</span>`},
		{"taro-01(山田商店)の新しいパスワード", []string{"taro-01"},
			`<span class="break-address">taro-01</span>(山田商店)の新しいパスワード`},
		{"a-b and a-b-c", []string{"a-b", "a-b-c"},
			`<span class="break-address">a-b</span> and <span class="break-address">a-b-c</span>`},
		{"<x>@example.jp & co", []string{"<x>@example.jp"},
			`<span class="break-address">&lt;x&gt;@example.jp</span> &amp; co`},
		{"no words here", []string{""}, "no words here"},
		{"no match", []string{"taro-01"}, "no match"},
	} {
		if got := render(t, Unbroken(tc.in, tc.words...)); got != tc.want {
			t.Errorf("Unbroken(%q, %q) = %s, want %s", tc.in, tc.words, got, tc.want)
		}
	}
}

func TestModelLoads(t *testing.T) {
	m := japanese()
	for k, f := range features {
		if len(m.scores[k]) == 0 {
			t.Errorf("the Japanese model has no %s scores", f.group)
		}
	}
	if _, err := loadModel([]byte("not json")); err == nil {
		t.Error("loadModel accepted a malformed model")
	}
}
