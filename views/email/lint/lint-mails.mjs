// lint-mails.mjs checks the mails' HTML against caniemail's data for the
// clients merchants read their mail in, and fails on any feature one of
// them does not support, unless the allow-list below accepts it.
//
//   node views/email/lint/lint-mails.mjs DIR    (every *.html in DIR)
//   node views/email/lint/lint-mails.mjs FILE...
//
// views/email's TestMailsPassTheEmailClientLint renders each mail in each
// language and runs this on them.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { DoIUseEmail } from "@jsx-email/doiuse-email";

// clients are caniemail's names for Gmail, Outlook for Windows (the Word
// engine) and Windows Mail, Apple Mail and Yahoo, on every platform.
const clients = ["gmail.*", "outlook.windows", "outlook.windows-mail", "apple-mail.*", "yahoo.*"];

// outlookWeb is Outlook on the web (outlook.com): caniemail has its data,
// but doiuse-email 1.0.4 leaves it out of the clients it accepts, so it is
// added once the checker is built.
const outlookWeb = "outlook.outlook-com";

// allowed is what the mails use knowing that a client lacks it, and why.
// Each entry is a caniemail feature title and the clients it is accepted
// for; anything else a client lacks fails the lint.
const allowed = [
  // Yahoo's apps replace <body> with a <div>: the frame's outer table
  // carries the background too, so nothing is lost.
  { feature: "<body> element", clients: ["yahoo.ios", "yahoo.android"] },
  // The hidden preview line (preheader.templ) hides itself several ways at
  // once (display:none, max-height:0, overflow, opacity, mso-hide:all, a
  // 1px font in the background's colour); every client honours one of them.
  { feature: "display:none", clients: ["gmail.mobile-webmail"] },
  { feature: "opacity", clients: ["gmail.mobile-webmail", "outlook.windows", "outlook.windows-mail", "yahoo.*"] },
  { feature: "overflow", clients: ["outlook.windows", "outlook.windows-mail", "yahoo.android"] },
  // role="presentation" tells screen readers that the layout tables are
  // not data; a client that drops it shows the same mail.
  { feature: "role attribute", clients: ["outlook.windows-mail"] },
  // The button's cell and the account line have square corners in Outlook
  // for Windows; the button keeps its size, its padding being on the cell.
  { feature: "border-radius", clients: ["outlook.windows", "outlook.windows-mail"] },
  // overflow-wrap:anywhere lets a long login ID or address wrap where a
  // client honours it; where not, the text stays whole, as without it.
  // URLs do not rely on it: they carry <wbr> soft breaks (urltext.go).
  { feature: "overflow-wrap", clients: ["*"] },
  // <wbr> is ignored by Outlook for Windows, Windows Mail and (in
  // caniemail's 2019 test) Gmail for iOS: there a URL line breaks only
  // where the client itself breaks an overlong word. The same link is
  // behind the button or the words above each URL line.
  { feature: "<wbr> element", clients: ["outlook.windows", "outlook.windows-mail", "gmail.ios"] },
];

// isAllowed says whether allowed accepts feature for client; a client
// "name.*" stands for every platform of name, "*" for every client.
function isAllowed(feature, client) {
  const matches = (c) => c === "*" || c === client || (c.endsWith(".*") && client.startsWith(c.slice(0, -1)));
  return allowed.some((a) => a.feature === feature && a.clients.some(matches));
}

function htmlFiles(args) {
  const files = [];
  for (const arg of args) {
    if (statSync(arg).isDirectory()) {
      for (const name of readdirSync(arg).sort()) {
        if (name.endsWith(".html")) files.push(join(arg, name));
      }
    } else {
      files.push(arg);
    }
  }
  return files;
}

// lint lists what file uses that a client lacks, beyond the allow-list.
function lint(file) {
  const checker = new DoIUseEmail({ emailClients: clients });
  checker.emailClients.push(outlookWeb);
  const html = readFileSync(file, "utf8");
  const result = checker.check(html);
  const problems = [];
  for (const message of result.errors ?? []) {
    // doiuse-email words each error "`feature` is not supported by `client`".
    const m = /^`(.+)` is not supported by `(.+)`$/.exec(message);
    if (m === null) {
      problems.push(message);
    } else if (!isAllowed(m[1], m[2])) {
      problems.push(`${m[1]}: not supported by ${m[2]}`);
    }
  }
  // caniemail rates padding only "partial" in Outlook for Windows, which
  // pads table cells only: a button padded on its <a> shrinks to its text
  // there. doiuse-email cannot tell a cell from a link, so this says it.
  for (const a of html.matchAll(/<a\b[^>]*\bstyle="[^"]*\bpadding(-[a-z]+)?\s*:/gi)) {
    problems.push(`padding on <a>: Outlook for Windows pads table cells only (${a[0].slice(0, 60)}…)`);
  }
  return [...new Set(problems)];
}

const files = htmlFiles(process.argv.slice(2));
if (files.length === 0) {
  console.error("lint-mails: no HTML files given");
  process.exit(2);
}
let failed = false;
for (const file of files) {
  for (const problem of lint(file)) {
    console.log(`${file}: ${problem}`);
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
