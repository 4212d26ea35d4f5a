// The API reference at /api/docs in headless Chromium: Swagger UI loads from this server
// alone (any request elsewhere, console error or CSP violation fails the run), shows
// every operation of /api/v1/openapi.json, follows the system's dark mode, and with a
// token pasted into "Authorize" a "Try it out" call reaches the API and shows its answer.
//
// Run by tests/api/e2e.rs: node api-docs.mjs BASE_URL TOKEN OUT_DIR
import { mkdirSync } from "node:fs";
import { launch } from "./browser.mjs";

const [base, token, out] = process.argv.slice(2);
mkdirSync(out, { recursive: true });
const problems = [];
const check = (ok, what) => { if (!ok) problems.push(what); };

const browser = await launch();

const documentResponse = await fetch(`${base}/api/v1/openapi.json`);
const spec = await documentResponse.json();
let operations = 0;
for (const item of Object.values(spec.paths)) {
  operations += ["get", "put", "post", "delete", "patch"].filter((m) => item[m]).length;
}

for (const scheme of ["light", "dark"]) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: scheme });
  const page = await context.newPage();
  page.on("console", (m) => { if (m.type() === "error") problems.push(`${scheme}: console error: ${m.text()}`); });
  page.on("pageerror", (e) => problems.push(`${scheme}: page error: ${e.message}`));
  page.on("response", (r) => { if (r.status() >= 400) problems.push(`${scheme}: ${r.status()} for ${r.url()}`); });
  page.on("request", (r) => { if (!r.url().startsWith(base) && !r.url().startsWith("data:")) problems.push(`${scheme}: request elsewhere: ${r.url()}`); });
  await page.goto(`${base}/api/docs`);
  await page.waitForSelector(".opblock", { timeout: 15000 });
  const shown = await page.locator(".opblock").count();
  check(shown === operations, `${scheme}: ${shown} operations shown, the document has ${operations}`);
  const dark = await page.evaluate(() => document.documentElement.classList.contains("dark-mode"));
  check(dark === (scheme === "dark"), `${scheme}: dark-mode class is ${dark}`);
  await page.screenshot({ path: `${out}/api-docs-${scheme}.png` });

  if (scheme === "light") {
    await page.click("button.authorize");
    await page.fill(".auth-container input", token);
    await page.click(".auth-container button.authorize");
    await page.click("button.close-modal");
    const list = page.locator("#operations-Short_links-short\\:\\:list, .opblock-get:has(.opblock-summary-path[data-path='/api/v1/short'])").first();
    await list.locator(".opblock-summary").click();
    await list.locator("button.try-out__btn").click();
    await list.locator("button.execute").click();
    await list.locator(".live-responses-table tbody .response-col_status").first().waitFor({ timeout: 10000 });
    const status = (await list.locator(".live-responses-table tbody .response-col_status").first().innerText()).trim();
    check(status === "200", `Try it out on GET /api/v1/short answered ${status}`);
    await page.screenshot({ path: `${out}/api-docs-try.png`, fullPage: false });
  }
  await context.close();
}
await browser.close();
if (problems.length) {
  console.error(problems.join("\n"));
  process.exit(1);
}
console.log(`api docs: ${operations} operations shown in light and dark; Try it out answered 200`);
