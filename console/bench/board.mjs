// How soon the board is usable after navigation, as a PM meets it: a signed-in Chromium
// opens /app/ (cold: a new context each time, nothing cached) and the clock stops when the
// first insight link can be clicked. Also times a filter change. Prints the median and the
// worst of the runs.
//   CONSOLE_URL=… CONSOLE_EMAIL=… CONSOLE_PASSWORD=… node bench/board.mjs [runs]
import { chromium } from "playwright-core";

const base = process.env.CONSOLE_URL ?? "http://127.0.0.1:8000";
const runs = Number(process.argv[2] ?? 7);
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", args: ["--no-sandbox"] });

async function signedInContext() {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  await page.goto(`${base}/app/`);
  await page.getByLabel("Email").fill(process.env.CONSOLE_EMAIL);
  await page.getByLabel("Password").fill(process.env.CONSOLE_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.locator(".board-row .row-link").first().waitFor({ timeout: 30_000 });
  const state = await ctx.storageState();
  await ctx.close();
  return state;
}

const state = await signedInContext();
const load = [];
const filter = [];
for (let i = 0; i < runs; i++) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, storageState: state });
  const page = await ctx.newPage();
  const t0 = performance.now();
  await page.goto(`${base}/app/`);
  await page.locator(".board-row .row-link").first().waitFor({ state: "visible" });
  await page.locator(".board-row .row-link").first().click({ trial: true });
  load.push(performance.now() - t0);
  const t1 = performance.now();
  await page.getByRole("button", { name: /Trending/ }).click();
  await page.waitForURL(/filter=trending/);
  await page.waitForFunction(() => !document.querySelector(".board.is-loading"));
  filter.push(performance.now() - t1);
  await ctx.close();
}
await browser.close();

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (xs) => `median ${median(xs).toFixed(0)} ms, worst ${Math.max(...xs).toFixed(0)} ms`;
console.log(`board interactive after navigation (${runs} cold loads): ${fmt(load)}`);
console.log(`quick filter applied: ${fmt(filter)}`);
