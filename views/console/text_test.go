package console

import (
	"reflect"
	"testing"

	"aikagi/views"
)

// Every message of the console exists in every language.
func TestTextComplete(t *testing.T) {
	for _, lang := range views.Langs {
		v := reflect.ValueOf(*T(lang))
		for i := range v.NumField() {
			if f := v.Field(i); f.Kind() == reflect.String && f.String() == "" {
				t.Errorf("%s: %s is empty", lang, v.Type().Field(i).Name)
			}
		}
	}
}
