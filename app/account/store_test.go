package account

import "testing"

func TestCheckStoreName(t *testing.T) {
	for _, name := range []string{"山田商店", "Cafe Taro", "カフェ　タロウ", "Ünïcödé & Co."} {
		if err := CheckStoreName(name); err != nil {
			t.Errorf("%q refused: %v", name, err)
		}
	}
	for _, name := range []string{"店\u202egnp.exe", "店\u2066x\u2069", "山田\u200b商店", "\ufeff店", "店\x1b[31m", "店\n偽の行", "店\u2028", "店\u0085"} {
		if err := CheckStoreName(name); err == nil {
			t.Errorf("%q accepted", name)
		}
	}
}
