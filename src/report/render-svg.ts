import * as vega from "vega";
import * as vl from "vega-lite";

/** A Vega-Lite spec as SVG text, rendered headless (no canvas, no network). */
export async function renderSvg(spec: Record<string, unknown>): Promise<string> {
  const compiled = vl.compile(spec as unknown as vl.TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    // two decimals are far below a pixel: halves the size of a chart with many points
    return (await view.toSVG()).replace(/(\d+\.\d\d)\d+/g, "$1");
  } finally {
    view.finalize();
  }
}
