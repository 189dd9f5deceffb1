package db_test

import (
	"context"
	"testing"

	"github.com/uptrace/bun"

	"aikagi/db"
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
		kana := &db.Account{LoginID: "kana-3", Email: "kana@cafe.example", StoreName: "ｶﾌｪ 3", Locale: "ja", PasswordHash: "x"}
		if err := db.CreateAccount(ctx, bdb, kana, t0); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name     string
			patterns []string
			want     []string
		}{
			{"login ID part", []string{"aro-0"}, []string{"taro-01"}},
			{"address, any case", []string{"example.jp"}, []string{"taro-01", "zz9"}},
			{"store name", []string{"山田"}, []string{"hanako_2", "taro-01"}},
			{"either width", []string{"abc書店", "ａｂｃ書店", "ＡＢＣ書店"}, []string{"zz9"}},
			{"login ID and address typed full-width", []string{"taro", "ｔａｒｏ", "ＴＡＲＯ"}, []string{"taro-01"}},
			{"half-width kana finds a store name", []string{"ｶﾌｪ"}, []string{"kana-3"}},
			{"underscore is literal", []string{"o_"}, []string{"hanako_2"}},
			{"percent is literal", []string{"%"}, nil},
			{"nothing", []string{"nobody"}, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				hits, err := db.SearchAccounts(ctx, bdb, tc.patterns, 20)
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
