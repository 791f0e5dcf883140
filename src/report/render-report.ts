import { upgradeProfile } from "../engine/profile/migrate-v1.js";
import type { Profile } from "../engine/profile/types.js";
import { layerSpec, speedupSpec, timeSpec } from "./charts.js";
import { buildDocument } from "./document.js";
import { renderHtml } from "./html.js";
import { renderMarkdown } from "./markdown.js";
import { buildModel } from "./model.js";
import { renderSvg } from "./render-svg.js";
import type { TuneResults } from "../results/types.js";

/** The report of one run: HTML (charts inline), Markdown (charts as SVG files to write beside it, by id), from the results alone. */
export async function renderReport(results: TuneResults, previous?: Profile): Promise<{ html: string; markdown: string; charts: ReadonlyMap<string, string> }> {
  // a "before" profile recorded by an earlier release may be version 1: read it as the engine would
  const before = previous ?? results.previous?.profile;
  const model = buildModel(results, before && upgradeProfile(before));
  const blocks = buildDocument(model);
  const charts = new Map<string, string>();
  const layer = layerSpec(model);
  if (layer) charts.set("layer", await renderSvg(layer));
  for (const s of model.ops) {
    charts.set(`speedup-${s.op}`, await renderSvg(speedupSpec(s, model)));
    charts.set(`time-${s.op}`, await renderSvg(timeSpec(s, model)));
  }
  return { html: renderHtml(blocks, charts), markdown: renderMarkdown(blocks, new Set(charts.keys())), charts };
}
