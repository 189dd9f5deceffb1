package main

// Generated files are committed, so `go run .` needs neither templ nor Node.
// `make generate` (or `go generate`) refreshes them.
//go:generate go tool templ generate
//go:generate npm run --silent css
//go:generate npm run --silent vendor
