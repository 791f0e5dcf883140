import type { Outcome, Say } from "./command.js";
import { existsSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { writeFileAtomic } from "../io/atomic-write.js";
import { compareDocument, compareSpecs } from "../report/compare.js";
import { renderSvg } from "../report/render-svg.js";
import { renderHtml } from "../report/html.js";
import { chartFile, renderMarkdown } from "../report/markdown.js";
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

export interface ReportArgs {
  /** A results.json or the folder holding it. */
  results: string;
  /** Where the files go (default: beside the results; a comparison: the working folder). */
  out?: string;
  /** Two results to put side by side instead. */
  compare?: readonly [string, string];
}

/** `crossover report`: renders report.html and report.md from saved results (never measures), or a comparison of two. */
export async function runReport(args: ReportArgs, say: Say): Promise<Outcome & { html: string; markdown: string }> {
  const files = args.compare ? await compare(args.compare[0], args.compare[1], args.out) : await report(args.results, args.out);
  say(`wrote ${files.html}\nwrote ${files.markdown}`);
  return { exitCode: 0, ...files };
}

async function report(input: string, outDir: string | undefined): Promise<{ html: string; markdown: string }> {
  const path = resultsPath(input);
  const results = readResults(path);
  const dir = outDir ? resolve(outDir) : dirname(path);
  const { html, markdown, charts } = await renderReport(results);
  const files = { html: join(dir, "report.html"), markdown: join(dir, "report.md") };
  // the charts first: report.md points at them
  for (const [id, svg] of charts) writeFileAtomic(join(dir, chartFile(id)), svg);
  writeFileAtomic(files.html, html);
  writeFileAtomic(files.markdown, markdown);
  return files;
}

/** `crossover report --compare A B`: the two runs side by side, with overlaid charts (inline in the HTML, SVG files beside the Markdown). */
async function compare(a: string, b: string, outDir: string | undefined): Promise<{ html: string; markdown: string }> {
  const pa = resultsPath(a), pb = resultsPath(b);
  const ra = readResults(pa), rb = readResults(pb);
  // named as given (relative to where the command ran): a committed comparison must not carry this machine's paths
  const blocks = compareDocument(ra, rb, [relative(process.cwd(), pa) || pa, relative(process.cwd(), pb) || pb]);
  const dir = resolve(outDir ?? ".");
  const charts = new Map<string, string>();
  for (const [id, spec] of compareSpecs(ra, rb)) charts.set(id, await renderSvg(spec));
  const files = { html: join(dir, "compare.html"), markdown: join(dir, "compare.md") };
  for (const [id, svg] of charts) writeFileAtomic(join(dir, chartFile(id)), svg);
  writeFileAtomic(files.html, renderHtml(blocks, charts));
  writeFileAtomic(files.markdown, renderMarkdown(blocks, new Set(charts.keys())));
  return files;
}
