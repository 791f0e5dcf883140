import type { Block } from "./document.js";

export function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** An element id or fragment from any text: only characters that need no escaping anywhere. */
export function anchor(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]/g, "-");
}

/** Inline code spans (`x`) become <code>; everything else is escaped text. */
function inline(s: string): string {
  return escapeHtml(s).replace(/`([^`]+)`/g, "<code>$1</code>");
}

const CSS = `
:root { color-scheme: light; --fg: #1d2330; --muted: #5b6475; --line: #d9dee7; --win: #0b6b3a; --bg-alt: #f5f7fa; }
* { box-sizing: border-box; }
body { font: 15px/1.55 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); margin: 0 auto; max-width: 1100px; padding: 1.2rem; overflow-wrap: anywhere; }
@media (max-width: 600px) { body { padding: .6rem; font-size: 14px; } table { font-size: 12px; } th, td { padding: .25rem .35rem; } }
h1 { font-size: 1.6rem; line-height: 1.25; } h2 { margin-top: 2.2rem; border-bottom: 1px solid var(--line); padding-bottom: .2rem; } h3 { margin-top: 1.4rem; }
code { font: 13px ui-monospace, Menlo, Consolas, monospace; background: var(--bg-alt); padding: .05rem .3rem; border-radius: 3px; }
pre { background: var(--bg-alt); padding: .7rem; overflow-x: auto; border-radius: 4px; } pre code { background: none; padding: 0; }
.table-wrap { overflow-x: auto; max-width: 100%; margin: .6rem 0 1rem; }
table { border-collapse: collapse; font-size: 13px; min-width: 50%; overflow-wrap: normal; }
td:first-child { overflow-wrap: break-word; min-width: 8.5rem; }
th, td { border-bottom: 1px solid var(--line); padding: .3rem .55rem; text-align: left; vertical-align: top; }
th { background: var(--bg-alt); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.win td { font-weight: 700; color: var(--win); }
tr.miss td { font-weight: 700; color: #b3261e; }
td.eff-4 { background: #c7e9c0; } td.eff-3 { background: #e5f5e0; } td.eff-2 { background: #fff7bc; } td.eff-1 { background: #fee6ce; } td.eff-0 { background: #fcbba1; }
figure { margin: 1rem 0; } figure svg { max-width: 100%; height: auto; } figcaption { color: var(--muted); font-size: 13px; }
.alert { border-left: 4px solid #b3261e; background: #fdf1f0; padding: .6rem .9rem; margin: 1rem 0; } .alert ul { margin: .3rem 0 0; }
details { margin: .4rem 0 1rem; } summary { cursor: pointer; color: var(--muted); }
nav ul { columns: 2; font-size: 14px; }
@media print { body { max-width: none; } details { display: block; } h2 { break-after: avoid; } figure, table { break-inside: avoid; } }
`;

function block(b: Block, charts: ReadonlyMap<string, string>): string {
  switch (b.kind) {
    case "heading": return `<h${b.level}${b.id ? ` id="${anchor(b.id)}"` : ""}>${inline(b.text)}</h${b.level}>`;
    case "paragraph": return `<p>${inline(b.text)}</p>`;
    case "list": return `<ul>${b.items.map((i) => `<li>${inline(i)}</li>`).join("")}</ul>`;
    case "alert": return `<div class="alert" role="note"><strong>${inline(b.title)}</strong><ul>${b.items.map((i) => `<li>${inline(i)}</li>`).join("")}</ul></div>`;
    case "code": return `<pre><code>${escapeHtml(b.text)}</code></pre>`;
    case "details": return `<details><summary>${inline(b.summary)}</summary>${b.blocks.map((x) => block(x, charts)).join("\n")}</details>`;
    case "chart": {
      const svg = charts.get(b.id);
      return svg ? `<figure class="chart" data-chart="${anchor(b.id)}">${svg}<figcaption>${inline(b.title)}</figcaption></figure>` : "";
    }
    case "table": {
      const cls = (i: number, extra?: string) => {
        const names = [b.numeric?.[i] ? "num" : "", extra ? anchor(extra) : ""].filter(Boolean).join(" ");
        return names ? ` class="${names}"` : "";
      };
      const head = `<tr>${b.headers.map((h, i) => `<th${cls(i)}>${inline(h)}</th>`).join("")}</tr>`;
      const rows = b.rows.map((r, ri) => `<tr${b.bold?.[ri] ? ` class="${b.tone ?? "win"}"` : ""}>${r.map((c, i) => `<td${cls(i, b.cellClass?.[ri]?.[i])}>${inline(c)}</td>`).join("")}</tr>`);
      return `<div class="table-wrap"><table><thead>${head}</thead><tbody>${rows.join("")}</tbody></table></div>`;
    }
  }
}

/** One self-contained page: inline CSS and SVG, no script, no request to any host. */
export function renderHtml(blocks: readonly Block[], charts: ReadonlyMap<string, string>): string {
  const title = blocks.find((b) => b.kind === "heading" && b.level === 1);
  const nav = blocks.filter((b): b is Extract<Block, { kind: "heading" }> => b.kind === "heading" && b.level === 2 && !!b.id);
  const body = blocks.map((b) => block(b, charts));
  const navHtml = `<nav><ul>${nav.map((h) => `<li><a href="#${anchor(h.id!)}">${inline(h.text)}</a></li>`).join("")}</ul></nav>`;
  body.splice(2, 0, navHtml);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title && title.kind === "heading" ? escapeHtml(title.text) : "crossover report"}</title>
<style>${CSS}</style>
</head>
<body>
${body.join("\n")}
</body>
</html>
`;
}
