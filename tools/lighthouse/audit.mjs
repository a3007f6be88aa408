// Lighthouse (mobile preset) on the questionnaire and on the result page reached by submitting it,
// in Debian's Chromium. Prints each page's scores; exits 1 when a score is below its target.
// Usage: node audit.mjs http://127.0.0.1:PORT
import puppeteer from "puppeteer-core";
import { startFlow } from "lighthouse";

const TARGETS = { accessibility: 100, "best-practices": 100, performance: 95 };
const base = process.argv[2];
if (!base) {
  console.error("usage: node audit.mjs BASE_URL");
  process.exit(2);
}

const browser = await puppeteer.launch({
  executablePath: process.env.CHROME_PATH || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"],
});
let failed = false;
try {
  const page = await browser.newPage();
  const flow = await startFlow(page, {
    config: {
      extends: "lighthouse:default",
      settings: { onlyCategories: Object.keys(TARGETS) },
    },
  });
  await flow.navigate(`${base}/`, { name: "questionnaire" });
  for (let item = 1; item <= 10; item++) {
    await page.click(`label[for=item_${item}-1]`);
  }
  await flow.navigate(async () => { await page.click("#send"); }, { name: "result page" });
  const result = await flow.createFlowResult();
  for (const step of result.steps) {
    const scores = Object.entries(step.lhr.categories).map(([id, category]) => {
      const score = Math.round(category.score * 100);
      const ok = score >= TARGETS[id];
      failed ||= !ok;
      return `${id} ${score} (target ${TARGETS[id]}) ${ok ? "pass" : "MISS"}`;
    });
    console.log(`${step.name}: ${scores.join(", ")}`);
    for (const [id, audit] of Object.entries(step.lhr.audits)) {
      if (audit.score !== null && audit.score < 1 && audit.scoreDisplayMode === "binary") {
        console.log(`  failing audit ${id}: ${audit.title}`);
      }
    }
  }
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
