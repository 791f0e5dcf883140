import * as vega from "vega";
import * as vl from "vega-lite";

/** A Vega-Lite spec as SVG text, rendered headless (no canvas, no network). */
export async function renderSvg(spec: Record<string, unknown>): Promise<string> {
  const compiled = vl.compile(spec as unknown as vl.TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return withTooltips(roundGeometry(await view.toSVG()));
  } finally {
    view.finalize();
  }
}

/** Geometry to a tenth of a pixel (below what a screen shows): a chart with many points is a third the size. Text is left as it is. */
function roundGeometry(svg: string): string {
  return svg.replace(/ (d|transform|x|y|x1|x2|y1|y2|width|height)="([^"]*)"/g, (_, k: string, v: string) => ` ${k}="${v.replace(/(\d+\.\d)\d+/g, "$1")}"`);
}

/**
 * Each point's description (Vega writes it as aria-label: its fields and
 * values) becomes its <title>: a browser shows it on hover, and a screen
 * reader still reads it as the point's name.
 */
function withTooltips(svg: string): string {
  return svg.replace(/<path aria-label="([^"]*)" role="graphics-symbol" aria-roledescription="point"([^>]*)\/>/g,
    (_, label: string, rest: string) => `<path role="graphics-symbol" aria-roledescription="point"${rest}><title>${label.replace(/(\d+\.\d\d\d)\d+/g, "$1")}</title></path>`);
}
