import type { Block } from "./document.js";

/**
 * Text from a results file, safe in Markdown: HTML special characters are
 * escaped (GitHub renders raw HTML; inside code spans too, safety over looks),
 * line breaks folded.
 */
function text(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/\r?\n/g, " ");
}

function cell(s: string): string {
  return text(s).replace(/\|/g, "\\|");
}

/** A fence longer than any run of backticks in the code, so the code cannot close it. */
function fence(code: string): string {
  const longest = Math.max(0, ...(code.match(/`+/g) ?? []).map((r) => r.length));
  return "`".repeat(Math.max(3, longest + 1));
}

/** Where a chart's SVG file sits beside report.md (the report command writes it there). */
export function chartFile(id: string): string {
  return `charts/${id.replace(/[^A-Za-z0-9._-]/g, "-")}.svg`;
}

/** The report as Markdown: the same blocks; a chart is its SVG file beside report.md (`withCharts`), so GitHub shows it. */
export function renderMarkdown(blocks: readonly Block[], withCharts: ReadonlySet<string> = new Set()): string {
  const out: string[] = [];
  for (const b of blocks) {
    switch (b.kind) {
      case "heading": out.push(`${"#".repeat(b.level)} ${text(b.text)}`, ""); break;
      case "paragraph": out.push(text(b.text), ""); break;
      case "list": out.push(...b.items.map((i) => `- ${text(i)}`), ""); break;
      case "alert": out.push(`> **${text(b.title)}**`, ">", ...b.items.map((i) => `> - ${text(i)}`), ""); break;
      case "code": out.push(`${fence(b.text)}bash`, b.text, fence(b.text), ""); break;
      case "chart": out.push(withCharts.has(b.id) ? `![${text(b.title).replace(/[[\]]/g, "")}](${chartFile(b.id)})` : `_Chart: ${text(b.title)} (in report.html)._`, ""); break;
      case "details": out.push(`<details><summary>${text(b.summary)}</summary>`, "", renderMarkdown(b.blocks, withCharts), "</details>", ""); break;
      case "table": {
        out.push(`| ${b.headers.map(cell).join(" | ")} |`);
        out.push(`|${b.headers.map((_, i) => (b.numeric?.[i] ? "---:" : "---")).join("|")}|`);
        b.rows.forEach((r, i) => out.push(`| ${r.map((c) => (b.bold?.[i] && c ? `**${cell(c)}**` : cell(c))).join(" | ")} |`));
        out.push("");
      }
    }
  }
  return out.join("\n");
}
