import type { Block } from "./document.js";

function cell(s: string): string {
  return s.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

/** The report as Markdown: the same blocks; charts are in the HTML page. */
export function renderMarkdown(blocks: readonly Block[]): string {
  const out: string[] = [];
  for (const b of blocks) {
    switch (b.kind) {
      case "heading": out.push(`${"#".repeat(b.level)} ${b.text}`, ""); break;
      case "paragraph": out.push(b.text, ""); break;
      case "list": out.push(...b.items.map((i) => `- ${i}`), ""); break;
      case "alert": out.push(`> **${b.title}**`, ">", ...b.items.map((i) => `> - ${i}`), ""); break;
      case "code": out.push("```bash", b.text, "```", ""); break;
      case "chart": out.push(`_Chart: ${b.title} (in report.html)._`, ""); break;
      case "details": out.push(`<details><summary>${b.summary}</summary>`, "", renderMarkdown(b.blocks), "</details>", ""); break;
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
