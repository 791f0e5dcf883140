// The regret of a profile on every point of a results file: the time of the
// count the engine's plan() picks over the fastest measured count. Run after
// `npm run build`: node scripts/regret.mjs reports/<machine>/results.json profiles/<machine>.json
import { readFileSync } from "node:fs";
import { geometricMean } from "simple-statistics";
import { PolicyTable } from "../dist/engine/policy.js";
import { upgradeProfile } from "../dist/engine/profile/migrate-v1.js";

const [resultsPath, profilePath] = process.argv.slice(2);
if (!resultsPath || !profilePath) throw new Error("usage: node scripts/regret.mjs <results.json> <profile.json>");
const results = JSON.parse(readFileSync(resultsPath, "utf8"));
const profile = upgradeProfile(JSON.parse(readFileSync(profilePath, "utf8")));
const table = new PolicyTable(profile, Math.max(...results.run.threads), "profile");
for (const [name, points] of [["grid", results.points], ["held-out", results.heldOut]]) {
  const rows = points.filter((p) => !p.suspect).map((p) => {
    const chosen = table.threadsFor(p.op, p.work);
    const at = p.variants.find((v) => v.threads === chosen) ?? p.variants[0];
    const best = Math.min(...p.variants.map((v) => v.medianNs));
    return { p, chosen, regret: at.medianNs / best };
  });
  if (rows.length === 0) continue;
  const worst = rows.reduce((a, b) => (b.regret > a.regret ? b : a));
  console.log(`${name}: ${rows.length} points, regret geometric mean ${geometricMean(rows.map((r) => r.regret)).toFixed(3)}, ` +
    `worst ${worst.regret.toFixed(3)} (${worst.p.key}, chose ${worst.chosen})`);
}
