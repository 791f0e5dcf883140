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
}

export async function checkPage(path: string, screenshot: string): Promise<PageCheck> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run", "--disable-component-update", "--disable-sync"],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
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
    await page.screenshot({ path: screenshot, fullPage: false });
    return { requests, consoleErrors, headings, charts };
  } finally {
    await browser.close();
  }
}
