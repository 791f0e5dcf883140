import * as vega from "vega";
import * as vl from "vega-lite";

/** A Vega-Lite spec as SVG text, rendered headless (no canvas, no network). */
export async function renderSvg(spec: Record<string, unknown>): Promise<string> {
  const compiled = vl.compile(spec as unknown as vl.TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    // a tenth of a pixel is below what a screen shows: a chart with many points is a third the size
    return (await view.toSVG()).replace(/(\d+\.\d)\d+/g, "$1");
  } finally {
    view.finalize();
  }
}
