# make test installs what the tests need, regenerates the committed
# generated files (CI fails when they were stale), and runs every test,
# PostgreSQL included.
SHELL := /bin/bash
GO_PACKAGES := ./...

.PHONY: test deps generate check-generated lint gotest run build bench lighthouse

test: deps check-generated lint gotest

# Node packages build the CSS and provide htmx and axe-core; Go modules
# come through the module proxy on first use. The browser tests (e2e/) need
# Debian's chromium, and a Japanese font for their screenshots; the
# deployment tests need systemd-analyze and promtool (Debian's prometheus,
# for the alert rules): installed when missing, as root.
# Without them those tests skip, or fail with CI=true.
deps:
	@command -v npm >/dev/null || { echo "make: npm (Node.js) is needed to build the CSS" >&2; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	go mod download
	@missing=""; command -v chromium >/dev/null || missing="chromium"; \
	dpkg -s fonts-noto-cjk >/dev/null 2>&1 || missing="$$missing fonts-noto-cjk"; \
	command -v systemd-analyze >/dev/null || missing="$$missing systemd"; \
	command -v promtool >/dev/null || missing="$$missing prometheus"; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "make: installing $${missing# } for the browser and deployment tests" >&2; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
		else \
			echo "make: install $$missing (Debian packages) for the browser and deployment tests" >&2; \
		fi; \
	fi

generate:
	go generate ./...

# check-generated regenerates templ code, CSS and vendored htmx; in CI a
# difference from the committed files fails the run.
check-generated: generate
	@if [ "$${CI:-}" = "true" ]; then \
		git status --porcelain -- views assets | grep . && { echo "make: generated files are stale; run make generate and commit" >&2; exit 1; } || true; \
	fi

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:" $$out >&2; exit 1; fi
	go tool templ fmt -fail .
	go vet $(GO_PACKAGES)
	go tool staticcheck $(GO_PACKAGES)

# The browser tests run without the race detector: it reports races inside
# chromedp itself (its DOM walk against its event loop), not in this code,
# which the Go suites check with -race.
gotest:
	.ci/with-postgres bash -c 'go test -race -count=1 -timeout 30m $$(go list $(GO_PACKAGES) | grep -v /e2e$$) && go test -count=1 -timeout 30m ./e2e/'


run:
	go run .

# build makes the release binary ./aikagi, stamped with the version git
# describes (a tag, or the commit; -dirty for uncommitted changes), which
# `aikagi version` and the metric aikagi_build_info show with the commit.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
build:
	CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X aikagi/app/config.version=$(VERSION)" -o aikagi .

# bench measures throughput, latency and memory on this machine (load on
# 127.0.0.1 only) and prints the figures kept in BENCHMARKS.md.
bench:
	@command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; }
	.ci/with-postgres go run ./bench $(BENCH_FLAGS)

# lighthouse scores step 1 and the new-password page (mobile preset).
lighthouse:
	bench/lighthouse.sh
