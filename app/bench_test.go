package app

import (
	"testing"

	"github.com/valyala/fasthttp"
)

// BenchmarkStep1 renders step 1 through the whole middleware stack, without
// the network, to show where a request's time goes (go test -bench Step1
// -cpuprofile); the load figures are in BENCHMARKS.md.
func BenchmarkStep1(b *testing.B) {
	a := newTestApp(b, "sqlite")
	handler := a.Handler().Handler()
	var ctx fasthttp.RequestCtx
	for b.Loop() {
		ctx.Request.Reset()
		ctx.Response.Reset()
		ctx.Request.SetRequestURI("/password-resetting/regist")
		ctx.Request.Header.SetMethod("GET")
		handler(&ctx)
		if ctx.Response.StatusCode() != 200 {
			b.Fatalf("status %d", ctx.Response.StatusCode())
		}
	}
}
