/**
 * Where e2e runs save the pictures the README and docs/browser.md show: an
 * ignored folder, so a test run never rewrites tracked files. `npm run
 * pictures` copies them into docs/images when someone means to refresh them.
 */
export const SCREENSHOT_DIR = "tests/artifacts/tmp";

/** The pictures the docs show, by name (docs/images/<name>.png). */
export const DOC_PICTURES = ["feature-dashboard", "compare"] as const;

export function screenshotPath(name: (typeof DOC_PICTURES)[number]): string {
  return `${SCREENSHOT_DIR}/${name}.png`;
}
