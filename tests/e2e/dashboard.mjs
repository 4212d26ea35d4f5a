// The dashboard end to end, in headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core): a person signs in, creates a link, visits it and sees the click appear
// without reloading, downloads its QR code, makes an API token and uses it, revokes it and
// sees the API refuse it, adds a member and checks what the member may and may not change.
// axe-core checks every page (no serious or critical violations); every page is saved as a
// screenshot, light and dark, desktop and 360 px wide. Any console error (a CSP violation
// included) fails the run.
//
// Run by tests/api/e2e.rs: node dashboard.mjs BASE_URL EMAIL PASSWORD SHORT_HOST OUT_DIR
import { readFileSync, mkdirSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { createRequire } from "node:module";
import { launch } from "./browser.mjs";

const [base, email, password, shortHost, out] = process.argv.slice(2);
const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
mkdirSync(out, { recursive: true });

const problems = [];
const check = (ok, what) => { if (!ok) problems.push(what); };

const browser = await launch();

function watch(page, who) {
  page.on("console", (message) => {
    if (message.type() !== "error") return;
    // A page answered with the status it should have (401 for a wrong password, 403 for a
    // forbidden page): Chromium logs it, but it is not a fault. Server errors are.
    const status = /responded with a status of (\d+)/.exec(message.text());
    if (status && Number(status[1]) < 500) return;
    problems.push(`${who}: console error on ${page.url()}: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`${who}: page error on ${page.url()}: ${error.message}`));
}

async function newPerson(who) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, timezoneId: "Europe/Berlin", acceptDownloads: true });
  const page = await context.newPage();
  watch(page, who);
  return { context, page };
}

async function signIn(page, login, secret) {
  await page.goto(`${base}/dashboard/sign-in`);
  await page.fill("#email", login);
  await page.fill("#password", secret);
  await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
}

// Pages already checked with axe and saved, by name.
const seen = new Set();
async function inspect(page, name) {
  if (seen.has(name)) return;
  seen.add(name);
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () => await window.axe.run(document, { resultTypes: ["violations"] }));
  for (const violation of result.violations) {
    if (violation.impact === "serious" || violation.impact === "critical") {
      problems.push(`axe on ${name}: ${violation.id} (${violation.impact}): ${violation.help} — ${violation.nodes.map((n) => n.target.join(" ")).slice(0, 3).join("; ")}`);
    }
  }
  for (const scheme of ["light", "dark"]) {
    await page.emulateMedia({ colorScheme: scheme });
    for (const [width, tag] of [[1280, "desktop"], [360, "phone"]]) {
      await page.setViewportSize({ width, height: 900 });
      await page.screenshot({ path: `${out}/${name}-${scheme}-${tag}.png`, fullPage: true });
    }
  }
  await page.emulateMedia({ colorScheme: "light" });
  await page.setViewportSize({ width: 1280, height: 900 });
}

function visit(path) {
  // A person following the short link: Host picks the short domain.
  return new Promise((resolve, reject) => {
    const url = new URL(base);
    const req = httpRequest({ host: url.hostname, port: url.port, path, method: "GET",
      headers: { host: shortHost, "user-agent": "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0" } },
      (res) => { res.resume(); resolve(res.statusCode); });
    req.on("error", reject);
    req.end();
  });
}

async function api(token, method, path, body) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: response.status, body: await response.json().catch(() => null) };
}

const owner = await newPerson("owner");
const page = owner.page;

// Sign in, with a wrong password first.
await page.goto(`${base}/dashboard/sign-in`);
await inspect(page, "sign-in");
await page.fill("#email", email);
await page.fill("#password", "not the password");
await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
check(await page.locator(".error").isVisible(), "a wrong password shows an error");
await inspect(page, "sign-in-failed");
await page.fill("#password", password);
await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
check(page.url().includes("/dashboard/links"), `signed in: ${page.url()}`);
await inspect(page, "links-empty");

// Create a link: first with a mistake, then right.
await page.click("text=New link");
await page.fill("#destination", "javascript:alert(1)");
await Promise.all([page.waitForNavigation(), page.click("button.primary")]);
check(await page.locator("#destination-error").isVisible(), "the error is next to the field");
await inspect(page, "link-form-errors");
await page.fill("#destination", "https://example.com/launch");
await page.fill("#route", "launch");
await page.fill("#title", "The launch");
await page.fill("#tags", "Launch, 2027");
await Promise.all([page.waitForNavigation(), page.click("button.primary")]);
const linkUrl = page.url().split("?")[0];
check(await page.locator("ul.tags a", { hasText: "Launch" }).count() === 1, "the link's page shows its tags");
check(/\/dashboard\/links\/\d+$/.test(linkUrl), `on the link's page: ${page.url()}`);
await page.waitForSelector("[data-figure=clicks]");
check((await page.textContent("[data-figure=clicks]")).trim() === "0", "no clicks yet");

// Visit it: the click appears without reloading (the live figures refresh every 5 s).
check((await visit("/launch")) === 302, "the short link redirects");
await page.waitForFunction(() => document.querySelector("[data-figure=clicks]").textContent.trim() === "1", null, { timeout: 30000 });
await page.waitForFunction(() => document.querySelector("[data-figure=recent]").textContent.trim() === "1", null, { timeout: 30000 });
check(await page.locator("[data-chart] circle title", { hasText: "1 clicks" }).count() >= 1, "the chart shows the click");
await inspect(page, "link");

// Download its QR code as PNG (tests/api/e2e.rs decodes it).
await page.selectOption("#qr-format", "png");
const [download] = await Promise.all([page.waitForEvent("download"), page.click(".qr-options button")]);
await download.saveAs(`${out}/qr.png`);

await page.goto(`${linkUrl}/edit`);
await inspect(page, "link-edit");
await page.goto(`${linkUrl}/delete`);
await inspect(page, "link-delete");
await page.goto(`${base}/dashboard/links`);
await inspect(page, "links");
await page.goto(`${base}/dashboard/analytics`);
await page.waitForURL(/timezone=Europe%2FBerlin/);
check((await page.inputValue("#timezone")) === "Europe/Berlin", "the browser's time zone is used");
await inspect(page, "analytics");

// A token: generated, shown once, used, revoked, refused.
await page.goto(`${base}/dashboard/tokens`);
await page.fill("#name", "e2e");
await Promise.all([page.waitForNavigation(), page.click("button.primary")]);
const secret = (await page.textContent("#token-value")).trim();
check(secret.startsWith("opxl_"), "the new token is shown");
await inspect(page, "tokens");
const listed = await api(secret, "GET", "/api/v1/short");
check(listed.status === 200 && listed.body.data.length === 1, `the token works: ${listed.status}`);
await page.goto(`${base}/dashboard/tokens`);
check(!(await page.content()).includes(secret), "the token is not shown again");
await Promise.all([page.waitForNavigation(), page.click("button[aria-label='Revoke the token e2e']")]);
const refused = await api(secret, "GET", "/api/v1/short");
check(refused.status === 401, `a revoked token is refused: ${refused.status}`);

// The team: add a member, who must choose a password, sees everything, changes only theirs.
await page.goto(`${base}/dashboard/team`);
await page.fill("#email", "member@example.test");
await Promise.all([page.waitForNavigation(), page.click("button.primary")]);
const oneTime = (await page.locator(".reveal code").textContent()).trim();
await inspect(page, "team");
await page.goto(`${base}/dashboard/domains`);
await inspect(page, "domains");
await page.goto(`${base}/dashboard/account/password`);
await inspect(page, "password");
await page.goto(`${base}/dashboard/nowhere`);
await inspect(page, "not-found");

const member = await newPerson("member");
await signIn(member.page, "member@example.test", oneTime);
check(member.page.url().endsWith("/dashboard/account/password"), `a new member chooses a password first: ${member.page.url()}`);
await member.page.fill("#current", oneTime);
await member.page.fill("#new", "the member's own password");
await Promise.all([member.page.waitForNavigation(), member.page.click("button.primary")]);
await member.page.goto(linkUrl);
check(await member.page.locator("text=The launch").count() >= 1, "a member sees the owner's link");
check(await member.page.locator("a.button:has-text('Edit')").count() === 0, "but gets no Edit button");
const forbidden = await member.page.goto(`${linkUrl}/edit`);
check(forbidden.status() === 403, `editing another's link is 403: ${forbidden.status()}`);
await member.page.goto(`${base}/dashboard/links/new`);
await member.page.fill("#destination", "https://example.com/mine");
await member.page.fill("#route", "mine");
await Promise.all([member.page.waitForNavigation(), member.page.click("button.primary")]);
check(await member.page.locator("a.button:has-text('Edit')").count() === 1, "a member edits their own link");
await member.page.goto(`${base}/dashboard/team`);
check(await member.page.locator("text=Add a member").count() === 0, "members do not manage the team");

await browser.close();
if (problems.length) {
  console.error("PROBLEMS:\n" + problems.join("\n"));
  process.exit(1);
}
console.log(`ok: ${seen.size} pages checked with axe and saved to ${out}`);
