// Opens a report page in Debian's Chromium (playwright-core, no downloaded
// browser) with every network request blocked and recorded.
import { existsSync } from "node:fs";
import { chromium } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export function chromiumMissing(): string | null {
  return existsSync(CHROMIUM) ? null : `no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`;
}

export interface PageCheck {
  requests: string[];
  consoleErrors: string[];
  headings: string[];
  charts: { id: string; width: number; height: number; marks: number; visible: boolean }[];
  /** The page's scroll width against the viewport's: wider means the page scrolls sideways. */
  scrollWidth: number;
  viewportWidth: number;
  /** Elements that stick out past the viewport's right edge (tag, class and width), for a failing width check to name. */
  overflowing: string[];
}

export async function checkPage(path: string, screenshot: string, width = 1100): Promise<PageCheck> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run", "--disable-component-update", "--disable-sync"],
  });
  try {
    const page = await browser.newPage({ viewport: { width, height: 900 } });
    const requests: string[] = [];
    const consoleErrors: string[] = [];
    await page.route("**/*", (route) => {
      const url = route.request().url();
      if (url.startsWith("file://")) return route.continue();
      requests.push(url);
      return route.abort();
    });
    page.on("console", (m) => { if (m.type() === "error") consoleErrors.push(m.text()); });
    page.on("pageerror", (e) => consoleErrors.push(String(e)));
    await page.goto(`file://${path}`, { waitUntil: "load" });
    const headings = await page.locator("h1, h2").allTextContents();
    const charts = await page.$$eval("figure.chart", (figs) => figs.map((f) => {
      const svg = f.querySelector("svg");
      const box = svg?.getBoundingClientRect();
      const marks = svg ? svg.querySelectorAll("g.mark-symbol path, g.mark-rect path, g.mark-line path, g.mark-rule line").length : 0;
      const style = svg ? getComputedStyle(svg) : null;
      return {
        id: f.getAttribute("data-chart") ?? "", width: box?.width ?? 0, height: box?.height ?? 0, marks,
        visible: !!style && style.display !== "none" && style.visibility !== "hidden",
      };
    }));
    const { scrollWidth, viewportWidth, overflowing } = await page.evaluate(() => {
      const vw = document.documentElement.clientWidth;
      const out: string[] = [];
      for (const el of Array.from(document.body.querySelectorAll("*"))) {
        const r = el.getBoundingClientRect();
        // inside a scrolling table wrapper is fine: the wrapper scrolls, not the page
        if (r.right > vw + 1 && !el.closest(".table-wrap") && !el.closest("pre")) out.push(`${el.tagName.toLowerCase()}.${el.className} ${Math.round(r.width)}px`);
      }
      return { scrollWidth: document.documentElement.scrollWidth, viewportWidth: vw, overflowing: out.slice(0, 10) };
    });
    await page.screenshot({ path: screenshot, fullPage: false });
    return { requests, consoleErrors, headings, charts, scrollWidth, viewportWidth, overflowing };
  } finally {
    await browser.close();
  }
}
