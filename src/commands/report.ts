import { existsSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { writeFileAtomic } from "../io/atomic-write.js";
import { compareDocument } from "../report/compare.js";
import { renderHtml } from "../report/html.js";
import { renderMarkdown } from "../report/markdown.js";
import { renderReport } from "../report/render-report.js";
import { readResults } from "../results/results-file.js";

/** A results.json path, or a folder holding one. */
export function resultsPath(input: string): string {
  const p = resolve(input);
  if (existsSync(p) && statSync(p).isDirectory()) {
    const inside = join(p, "results.json");
    if (!existsSync(inside)) throw new Error(`${p} holds no results.json: give a results file or the folder crossover tune wrote (reports/<machine>/)`);
    return inside;
  }
  return p;
}

/** `crossover report`: renders report.html and report.md from saved results (never measures). */
export async function runReport(input: string, outDir: string | undefined, say: (s: string) => void): Promise<{ html: string; markdown: string }> {
  const path = resultsPath(input);
  const results = readResults(path);
  const dir = outDir ? resolve(outDir) : dirname(path);
  const { html, markdown } = await renderReport(results);
  const files = { html: join(dir, "report.html"), markdown: join(dir, "report.md") };
  writeFileAtomic(files.html, html);
  writeFileAtomic(files.markdown, markdown);
  say(`wrote ${files.html}\nwrote ${files.markdown}`);
  return files;
}

/** `crossover report --compare A B`: the two runs side by side. */
export async function runCompare(a: string, b: string, outDir: string | undefined, say: (s: string) => void): Promise<{ html: string; markdown: string }> {
  const pa = resultsPath(a), pb = resultsPath(b);
  // named as given (relative to where the command ran): a committed comparison must not carry this machine's paths
  const blocks = compareDocument(readResults(pa), readResults(pb), [relative(process.cwd(), pa) || pa, relative(process.cwd(), pb) || pb]);
  const dir = resolve(outDir ?? ".");
  const files = { html: join(dir, "compare.html"), markdown: join(dir, "compare.md") };
  writeFileAtomic(files.html, renderHtml(blocks, new Map()));
  writeFileAtomic(files.markdown, renderMarkdown(blocks));
  say(`wrote ${files.html}\nwrote ${files.markdown}`);
  return files;
}
