// What every console browser test shares: the browser, the server, members, screenshots
// and the accessibility check.
import AxeBuilder from "@axe-core/playwright";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { chromium } from "playwright-core";

export const BASE = process.env.CONSOLE_URL ?? "http://127.0.0.1:8000";
export const KEY = process.env.CONSOLE_API_KEY;
export const ADMIN = { email: process.env.CONSOLE_ADMIN_EMAIL, password: process.env.CONSOLE_ADMIN_PASSWORD };
export const SHOTS = new URL("../test-results/", import.meta.url);
mkdirSync(SHOTS, { recursive: true });

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-dev-shm-usage"],
  });
}

/** A fresh browser context (its own cookies) at desktop width, with every request to
 * another host recorded so a test can assert there are none. */
export async function context(browser, opts = {}) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true, ...opts });
  ctx.setDefaultTimeout(20_000);
  ctx.foreignRequests = [];
  ctx.on("request", (req) => {
    const url = new URL(req.url());
    if (!["127.0.0.1", "localhost"].includes(url.hostname) && url.protocol !== "data:" && url.protocol !== "blob:") {
      ctx.foreignRequests.push(req.url());
    }
  });
  return ctx;
}

/** Calls the API with the bootstrap admin key. */
export async function apiCall(method, path, body) {
  const res = await fetch(BASE + path, {
    method,
    headers: { Authorization: `Bearer ${KEY}`, ...(body ? { "Content-Type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

const members = new Map();
/** A member with this role (created once), as {email, password}. */
export async function member(role) {
  if (role === "admin") return ADMIN;
  if (!members.has(role)) {
    const m = { email: `${role}@console.test`, password: `${role}-password-1` };
    const res = await apiCall("POST", "/users", { email: m.email, password: m.password, role });
    assert.ok(res.status === 201 || res.status === 200 || res.status === 409, JSON.stringify(res));
    members.set(role, m);
  }
  return members.get(role);
}

export async function signIn(page, who) {
  await page.goto(`${BASE}/app/`);
  await page.getByLabel("Email").fill(who.email);
  await page.getByLabel("Password").fill(who.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Insights", level: 1 }).waitFor();
}

/** Screenshots at 1280 px and at a 390 px phone width. */
export async function screenshots(page, name) {
  const size = page.viewportSize();
  await page.screenshot({ path: new URL(`${name}-1280.png`, SHOTS).pathname, fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(150);
  await page.screenshot({ path: new URL(`${name}-390.png`, SHOTS).pathname, fullPage: true });
  await page.setViewportSize(size);
}

/** axe-core on the page as it is: no serious or critical violations. */
export async function accessible(page, name) {
  const result = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  const summary = bad.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`);
  console.log(`  axe ${name}: ${result.violations.length} violations (${bad.length} serious or critical), ${result.passes.length} rules passed`);
  assert.deepEqual(summary, [], `axe on ${name}`);
}

/** A one-page PDF whose text layer holds `lines`. */
export function pdf(lines) {
  let content = "BT /F1 12 Tf 72 720 Td 14 TL\n";
  for (const line of lines) content += `(${line.replace(/[\\()]/g, (c) => `\\${c}`)}) Tj T* T*\n`;
  content += "ET";
  const objects = [
    "<< /Type /Catalog /Pages 2 0 R >>",
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
    `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
  ];
  let out = "%PDF-1.4\n";
  const offsets = [];
  objects.forEach((obj, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${obj}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const o of offsets) out += `${String(o).padStart(10, "0")} 00000 n \n`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, "latin1");
}
