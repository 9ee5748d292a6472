/**
 * Dashboard snapshots (lib/snapshots): once the app's warmer has rendered a
 * dashboard, a viewer's full page load is served from its snapshot. It must
 * be the same page: the evidence (checked against the database), the viewer's
 * own navigation (filled in after load), and a working live text test (which
 * needs the CSRF cookie the proxy issues). Admins are served the same
 * snapshot with their own navigation; raters never are.
 */
import http from "node:http";
import { gunzipSync } from "node:zlib";
import { expect, test, type Page } from "@playwright/test";
import { loginAs } from "./support/login";
import { query } from "./support/db";
import { E2E_USERS } from "./support/users";
import { BROWSER_SEED } from "./support/seed/browser";

const SERVED = "x-featurelab-dashboard";

/** A page load as the browser's session, over plain node:http: the body as it came over the wire, undecoded. */
async function rawPageLoad(page: Page, url: string, acceptEncoding: string) {
  const cookie = (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join("; ");
  const target = new URL(url, test.info().project.use.baseURL);
  return new Promise<{ headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
    const req = http.get(target, { headers: { cookie, "accept-encoding": acceptEncoding, "sec-fetch-dest": "document" } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("error", reject);
  });
}

test("viewers and admins are served dashboards from snapshots: same evidence, their own navigation, a working live test", async ({
  page,
  browser,
}) => {
  const [{ id }] = await query<{ id: string }>(`SELECT id FROM "Sae" WHERE name = $1`, [BROWSER_SEED.saes[0].name]);
  const index = BROWSER_SEED.explainedFeature;
  const url = `/saes/${id}/features/${index}`;
  await loginAs(page, "viewer");
  // the warmer starts with the server and renders every recorded dashboard
  await expect
    .poll(async () => (await page.request.get(url)).headers()[SERVED] ?? "rendered", { timeout: 120_000, intervals: [1000] })
    .toBe("snapshot");

  // the stored gzip goes out byte for byte to a client that accepts gzip (not packed again), the HTML to one that does not
  const [stored] = await query<{ html: Buffer }>(`SELECT html FROM "DashboardSnapshot" WHERE "saeId" = $1 AND "featureIndex" = $2`, [
    id,
    index,
  ]);
  const packed = await rawPageLoad(page, url, "br, gzip;q=0.8");
  expect(packed.headers[SERVED]).toBe("snapshot");
  expect(packed.headers["content-encoding"]).toBe("gzip");
  expect(packed.headers["x-featurelab-content-encoding"]).toBeUndefined();
  expect(packed.body.equals(stored.html)).toBe(true);
  const plain = await rawPageLoad(page, url, "identity");
  expect(plain.headers[SERVED]).toBe("snapshot");
  expect(plain.headers["content-encoding"]).toBeUndefined();
  expect(plain.body.equals(gunzipSync(stored.html))).toBe(true);
  // other pages are still compressed, by the server
  const list = await rawPageLoad(page, `/saes/${id}`, "gzip");
  expect(list.headers["content-encoding"]).toBe("gzip");
  expect(gunzipSync(list.body).toString()).toContain("</html>");

  const ratingRequests: string[] = [];
  page.on("request", (r) => {
    if (r.url().endsWith("/ratings")) ratingRequests.push(r.url());
  });
  const response = await page.goto(url);
  expect(response!.headers()[SERVED]).toBe("snapshot");
  await expect(page.getByTestId("whoami")).toContainText(E2E_USERS.viewer.name);
  await expect(page.locator('[data-nav="Compare"]')).toBeVisible();
  await expect(page.locator('[data-nav="Jobs"]')).toHaveCount(0);

  const [top0] = await query<{ acts: number[] }>(
    `SELECT acts FROM "FeatureExample" WHERE "saeId" = $1 AND "featureIndex" = $2 AND kind = 'TOP' AND rank = 0`,
    [id, index],
  );
  const shown = await page
    .locator(`[data-example="top-0"] .tokens > span:not(.hx-mark)`)
    .evaluateAll((els) => els.map((e) => Number((e as HTMLElement).dataset.act ?? 0)));
  expect(shown.length).toBe(top0.acts.length);
  shown.forEach((v, i) => expect(v).toBeCloseTo(top0.acts[i], 4));
  await expect(page.getByText(BROWSER_SEED.explanation)).toBeVisible();
  await expect(page.getByTestId("feature-ratings")).toContainText(`${BROWSER_SEED.studyName} closed`);
  expect(ratingRequests).toEqual([]); // only admins' browsers ask for open studies' ratings

  await page.getByRole("textbox", { name: /Your text/ }).fill("The ship sailed across the sea.");
  const live = page.waitForResponse((r) => r.url().endsWith("/api/text-test"));
  await page.getByRole("button", { name: "Run" }).click();
  expect((await live).status()).toBe(200);
  await expect(page.getByTestId("live-tokens").locator("span").first()).toBeVisible();

  // moving on from a snapshot is a client-side navigation (the RSC payload, not another page load)
  const pageLoads: string[] = [];
  page.on("request", (r) => {
    if (r.isNavigationRequest()) pageLoads.push(r.url());
  });
  await page.getByRole("link", { name: "Next →" }).click();
  await expect(page).toHaveURL(new RegExp(`/features/${index + 1}$`));
  await expect(page.getByTestId("feature-index")).toHaveText(String(index + 1));
  expect(pageLoads).toEqual([]);

  // Random is chosen when clicked, not frozen into the snapshot
  const landed = new Set<string>();
  for (let i = 0; i < 4; i++) {
    await page.goto(url);
    await page.getByRole("link", { name: "Random" }).click();
    // (it may pick this very feature, 1 time in dSae: then the URL does not change)
    await page.waitForURL((u) => !u.pathname.endsWith(`/features/${index}`), { timeout: 5000 }).catch(() => undefined);
    const landedIndex = new URL(page.url()).pathname.split("/").pop()!;
    await expect(page.getByTestId("feature-index")).toHaveText(landedIndex);
    landed.add(landedIndex);
  }
  expect(landed.size).toBeGreaterThan(1);

  const admin = await browser.newPage();
  try {
    await loginAs(admin, "admin");
    const ratings = admin.waitForResponse((r) => r.url().endsWith(`${url}/ratings`));
    const adminResponse = await admin.goto(url);
    expect(adminResponse!.headers()[SERVED]).toBe("snapshot");
    await expect(admin.getByTestId("whoami")).toContainText(E2E_USERS.admin.name);
    await expect(admin.locator('[data-nav="Jobs"]')).toBeVisible();
    // an admin's browser asks for every study's ratings (open ones are never in a snapshot)
    expect(((await (await ratings).json()) as { openStudies: boolean }).openStudies).toBe(true);
    await expect(admin.getByTestId("feature-ratings")).toContainText(`${BROWSER_SEED.studyName} closed`);
  } finally {
    await admin.close();
  }
});
