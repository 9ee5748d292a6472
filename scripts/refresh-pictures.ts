/**
 * npm run pictures — refresh the pictures in the README and docs/browser.md
 * (docs/images) from the last e2e run's screenshots (tests/artifacts/tmp, not
 * tracked). Run the two specs that take them first, e.g.
 *   npm run build && E2E_PORT=3200 npx playwright test browser-pages browser-compare
 * then this, then review and commit the pictures deliberately.
 */
import fs from "node:fs";
import path from "node:path";
import { DOC_PICTURES, screenshotPath } from "@/tests/e2e/support/screenshots";

const missing: string[] = [];
for (const name of DOC_PICTURES) {
  const from = screenshotPath(name);
  if (!fs.existsSync(from)) {
    missing.push(from);
    continue;
  }
  const to = path.join("docs", "images", `${name}.png`);
  fs.copyFileSync(from, to);
  console.log(`${from} -> ${to} (taken ${fs.statSync(from).mtime.toISOString()})`);
}
if (missing.length) {
  console.error(
    `No screenshot at ${missing.join(", ")}: run \`npm run build && npx playwright test browser-pages browser-compare\` first.`,
  );
  process.exit(1);
}
