#!/usr/bin/env bash
# Runs Lighthouse 12.2.3 (mobile preset, Debian's Chromium) on step 1 and on
# the new-password page (step 5), and prints the category scores. Lighthouse
# is installed into a temporary folder, not into the project.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

work=$(mktemp -d)
trap 'kill $server 2>/dev/null; rm -rf "$work"' EXIT
npm install --prefix "$work" --no-audit --no-fund --loglevel=error lighthouse@12.2.3 >/dev/null
go build -o "$work/aikagi" .

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export DATABASE_URL="sqlite:$work/lh.db" ADDR="127.0.0.1:$port" BASE_URL="http://localhost:$port" DEMO_ADDR=off
"$work/aikagi" account create --login-id lighthouse --email lh@example.jp --store 'Lighthouse shop' --password 'a long lighthouse passphrase' >/dev/null 2>&1
"$work/aikagi" serve >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 50); do curl -fs "$BASE_URL/readyz" >/dev/null && break; sleep 0.2; done

# A reset link for step 5, through the journey as a merchant would take it.
state=$(curl -fs -X POST "$BASE_URL/password-resetting/confirm" -d login_id=lighthouse -d email=lh@example.jp | grep -o 'name="state" value="[^"]*"' | sed 's/.*value="//;s/"$//')
curl -fs -o /dev/null -X POST "$BASE_URL/password-resetting/send" --data-urlencode "state=$state"
sleep 1.5
mail=$(curl -fs "$BASE_URL/_dev/mail" | grep -o '/_dev/mail/[0-9]*' | head -n 1)
link=$(curl -fs "$BASE_URL$mail" | grep -o "$BASE_URL/password-resetting/reset?token=[A-Za-z0-9_-]*" | head -n 1)

flags="--headless=new --no-sandbox --disable-gpu --disable-background-networking --disable-component-update --disable-sync --no-first-run"
for page in "step 1|$BASE_URL/password-resetting/regist" "step 5|$link"; do
  name=${page%%|*}; url=${page#*|}
  CHROME_PATH=$(command -v chromium) "$work/node_modules/.bin/lighthouse" "$url" --quiet \
    --only-categories=performance,accessibility,best-practices \
    --output=json --output-path="$work/report.json" --chrome-flags="$flags"
  python3 - "$name" "$work/report.json" <<'PY'
import json, sys
name, path = sys.argv[1], sys.argv[2]
report = json.load(open(path))
scores = {k: round(v["score"] * 100) for k, v in report["categories"].items()}
print(f"| {name} | {scores['performance']} | {scores['accessibility']} | {scores['best-practices']} |")
for audit in report["audits"].values():
    if audit.get("score") is not None and audit["score"] < 1 and audit.get("scoreDisplayMode") in ("binary", "numeric"):
        print(f"|   ↳ {audit['id']} | {audit.get('displayValue', '')} | | |")
PY
done
