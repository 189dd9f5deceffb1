package db_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"aikagi/db"
	"aikagi/db/dbtest"
)

func TestSearchAccounts(t *testing.T) {
	forEachDialect(t, func(t *testing.T, bdb *bun.DB) {
		ctx := context.Background()
		createAccount(t, bdb, "taro-01", "Taro@Example.jp")
		createAccount(t, bdb, "hanako_2", "hanako@shop.example")
		other := &db.Account{LoginID: "zz9", Email: "zz@example.jp", StoreName: "ＡＢＣ書店", Locale: "ja", PasswordHash: "x"}
		if err := db.CreateAccount(ctx, bdb, other, t0); err != nil {
			t.Fatal(err)
		}
		kana := &db.Account{LoginID: "kana1", Email: "kana@example.jp", StoreName: "ｽｰﾊﾟｰ やまだ Ｍart", Locale: "ja", PasswordHash: "x"}
		if err := db.CreateAccount(ctx, bdb, kana, t0); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name  string
			query string
			want  []string
		}{
			{"login ID part", "aro-0", []string{"taro-01"}},
			{"login ID in full width", "ＴＡＲＯ－０", []string{"taro-01"}},
			{"address, any case", "EXAMPLE.jp", []string{"kana1", "taro-01", "zz9"}},
			{"store name", "山田", []string{"hanako_2", "taro-01"}},
			{"store name in half width", "abc書店", []string{"zz9"}},
			{"store name in full width", "ａｂｃ書", []string{"zz9"}},
			{"half-width kana from full width", "スーパー", []string{"kana1"}},
			{"mixed widths in one name", "やまだ mart", []string{"kana1"}},
			{"never across two fields", "kana1kana", nil},
			{"underscore is literal", "o_", []string{"hanako_2"}},
			{"percent is literal", "%", nil},
			{"nothing", "nobody", nil},
			{"blank", "  ", nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				hits, err := db.SearchAccounts(ctx, bdb, tc.query, 20)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, h := range hits {
					got = append(got, h.LoginID)
				}
				if len(got) != len(tc.want) {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
				for i := range got {
					if got[i] != tc.want[i] {
						t.Fatalf("got %v, want %v", got, tc.want)
					}
				}
			})
		}
	})
}

// Accounts written before search_text existed are found once Migrate has
// run again, and a changed address is found by its new value only.
func TestSearchTextKeptCurrent(t *testing.T) {
	forEachDialect(t, func(t *testing.T, bdb *bun.DB) {
		ctx := context.Background()
		acct := createAccount(t, bdb, "old-01", "old@example.jp")
		if _, err := bdb.NewUpdate().Table("accounts").Set("search_text = NULL").Where("id = ?", acct.ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		found := func(q string) bool {
			hits, err := db.SearchAccounts(ctx, bdb, q, 5)
			if err != nil {
				t.Fatal(err)
			}
			return len(hits) == 1 && hits[0].ID == acct.ID
		}
		if found("old-01") {
			t.Fatal("an account without search text was found: the test cannot tell")
		}
		if _, err := db.Migrate(ctx, bdb); err != nil {
			t.Fatal(err)
		}
		if !found("old-01") || !found("山田") {
			t.Error("Migrate did not fill the search text of an older account")
		}
		if err := db.SetEmail(ctx, bdb, acct.ID, "new@example.jp", t0); err != nil {
			t.Fatal(err)
		}
		if !found("new@") || found("old@") {
			t.Errorf("after an address change: new found %v, old found %v", found("new@"), found("old@"))
		}
		if err := db.UpdateAccountDetails(ctx, bdb, acct.ID, "new@example.jp", "ｶﾌｪ", "ja", t0); err != nil {
			t.Fatal(err)
		}
		if !found("カフェ") || found("山田") {
			t.Error("the store name's change is not searchable")
		}
	})
}

// Accounts from before the console's search have their search text filled
// at start, a batch of rows a statement, each with its own text.
func TestFillSearchText(t *testing.T) {
	dbtest.ForEachDialect(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		bdb := dbtest.Open(t, dialect)
		now := time.Date(2026, 12, 8, 9, 0, 0, 0, time.UTC)
		names := []string{"山田商店", "Ｔｏｋｙｏ Ramen", "さくら屋", "Cafe Ｏｎｅ", "鈴木"}
		for i, name := range names {
			a := &db.Account{LoginID: fmt.Sprintf("shop-%d", i), Email: fmt.Sprintf("shop%d@example.jp", i), StoreName: name, Locale: "ja", PasswordHash: "x"}
			if err := db.CreateAccount(ctx, bdb, a, now); err != nil {
				t.Fatal(err)
			}
		}
		var want []string
		if err := bdb.NewSelect().Table("accounts").Column("search_text").Order("id").Scan(ctx, &want); err != nil {
			t.Fatal(err)
		}
		if _, err := bdb.NewUpdate().Table("accounts").Set("search_text = NULL").Where("1 = 1").Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if n, err := db.FillSearchText(ctx, bdb, 2); err != nil || n != len(names) {
			t.Fatalf("FillSearchText = %d, %v; want %d", n, err, len(names))
		}
		var got []string
		if err := bdb.NewSelect().Table("accounts").Column("search_text").Order("id").Scan(ctx, &got); err != nil {
			t.Fatal(err)
		}
		if strings.Join(got, "|") != strings.Join(want, "|") || !strings.Contains(got[1], "tokyo ramen") {
			t.Errorf("search texts after the fill: %q, want %q", got, want)
		}
	})
}
