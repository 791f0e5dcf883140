import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { renderReport } from "../src/report/render-report.js";
import { checkPage, chromiumMissing } from "./browser/report-page.js";
import { fixtureResults } from "./fixtures/results-fixture.js";

// The report in a real browser: Debian's Chromium driven by playwright-core,
// every network request blocked and recorded. Without Chromium it is skipped
// locally (saying why); under CI=true it must run.
const missing = chromiumMissing();
if (missing && process.env.CI) throw new Error(`the browser test must run in CI, but: ${missing}`);
if (missing) console.warn(`report browser test skipped: ${missing}`);

describe.skipIf(missing !== null)("the report page in Chromium", () => {
  it.each([400, 1280])("at %i px: no sideways page scroll, no request, no console error, every chart drawn, the main headings", async (width) => {
    const dir = mkdtempSync(join(tmpdir(), "crossover-page-"));
    const page = join(dir, "report.html");
    writeFileSync(page, (await renderReport(fixtureResults())).html);
    const shots = fileURLToPath(new URL("../test-output/", import.meta.url));
    mkdirSync(shots, { recursive: true });
    const r = await checkPage(page, join(shots, `report-${width}.png`), width);
    expect(r.overflowing).toEqual([]);
    expect(r.scrollWidth).toBeLessThanOrEqual(r.viewportWidth);
    expect(r.requests).toEqual([]);
    expect(r.consoleErrors).toEqual([]);
    expect(r.charts.length).toBe(7);
    for (const c of r.charts) {
      expect(c.visible, c.id).toBe(true);
      expect(c.width, c.id).toBeGreaterThan(100);
      expect(c.height, c.id).toBeGreaterThan(100);
      expect(c.marks, c.id).toBeGreaterThan(2);
    }
    for (const h of ["Findings", "1. Test environment", "2. Overview", "4. Dispatch overhead", "5. Summary of recommendations", "6. Held-out check", "7. How to read the numbers"]) {
      expect(r.headings).toContain(h);
    }
    expect(r.headings.some((h) => h.startsWith("Parallelization benchmark results"))).toBe(true);
  }, 60000);

  // CI points this at the report of its own smoke-test tuning run
  const real = process.env.CROSSOVER_REPORT_HTML;
  it.skipIf(!real)("the report of a real tuning run loads the same way", async () => {
    const shots = fileURLToPath(new URL("../test-output/", import.meta.url));
    mkdirSync(shots, { recursive: true });
    const r = await checkPage(real!, join(shots, "report-smoke-400.png"), 400);
    expect(r.overflowing).toEqual([]);
    expect(r.scrollWidth).toBeLessThanOrEqual(r.viewportWidth);
    expect(r.requests).toEqual([]);
    expect(r.consoleErrors).toEqual([]);
    expect(r.charts.length).toBeGreaterThan(2);
    for (const c of r.charts) expect(c.width > 100 && c.height > 100 && c.marks > 2 && c.visible, c.id).toBe(true);
    expect(r.headings).toContain("7. How to read the numbers");
  }, 60000);
});
