// Sources in the browser: Slack connected through its token form against a fake Slack and
// synced with progress; Google connected through OAuth against a fake consent page, landing
// back on the integrations page.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { accessible, apiCall, BASE, context, launch, member, screenshots, signIn } from "./helpers.mjs";

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

describe("integrations", () => {
  test("an admin connects Slack, sees the vendor's refusal next to the field, and syncs with progress", async () => {
    const ctx = await context(browser);
    const page = await ctx.newPage();
    await signIn(page, await member("admin"));
    await page.getByRole("link", { name: "Integrations", exact: true }).click();
    await page.getByRole("heading", { name: "Integrations", level: 1 }).waitFor();
    const slack = page.locator("article.integration", { has: page.getByRole("heading", { name: "Slack" }) });
    await slack.getByRole("button", { name: "Connect" }).click();
    await slack.getByLabel("Bot token").fill("xoxb-2001-fake-console-token");
    await slack.getByLabel("Channels").fill("C0NOPE99 Nobody");
    await slack.getByRole("button", { name: "Save and check" }).click();
    await slack.getByRole("alert").first().waitFor();
    await slack.getByLabel("Channels").fill("C0ACME01 Acme Corp");
    await slack.getByRole("button", { name: "Save and check" }).click();
    await slack.getByText("Active").waitFor();
    const before = (await apiCall("GET", "/ingest/sources/summary")).body.sources.find((s) => s.source === "slack")?.count ?? 0;
    await slack.getByRole("button", { name: "Sync now" }).click();
    await slack.getByText("Synced").waitFor({ timeout: 60_000 });
    const after = (await apiCall("GET", "/ingest/sources/summary")).body.sources.find((s) => s.source === "slack")?.count ?? 0;
    assert.equal(after, before + 2, "the two fake Slack messages arrived");
    // Alerts and the weekly digest go to a channel the bot is in.
    await slack.getByLabel("Channel id").fill("C0NOPE99");
    await slack.getByRole("button", { name: "Save notifications" }).click();
    await slack.getByRole("alert").filter({ hasText: /channel_not_found/ }).waitFor();
    await slack.getByLabel("Channel id").fill("C0ACME01");
    await slack.getByLabel("Alert from priority").fill("60");
    await slack.getByRole("button", { name: "Save notifications" }).click();
    await slack.getByText("Saved", { exact: true }).waitFor();
    const saved = (await apiCall("GET", "/integrations/slack/notifications")).body;
    assert.deepEqual([saved.channel_id, saved.min_priority, saved.weekly_digest], ["C0ACME01", 60, true]);
    await accessible(page, "integrations");
    await screenshots(page, "integrations");
    await ctx.close();
  });

  test("an admin connects Google through OAuth and lands back on the integrations page", async () => {
    const ctx = await context(browser);
    const page = await ctx.newPage();
    await signIn(page, await member("admin"));
    await page.goto(`${BASE}/app/integrations`);
    const google = page.locator("article.integration", { has: page.getByRole("heading", { name: "Google Drive" }) });
    await google.getByRole("button", { name: "Connect" }).click();
    await page.getByRole("heading", { name: /wants to access your Google Account/ }).waitFor();
    await page.getByRole("link", { name: "Allow" }).click();
    await page.waitForURL(/\/app\/integrations\?status=success&provider=google/);
    await page.getByText("Google Drive is connected.").waitFor();
    await google.getByText("pm@acme-fake.example").waitFor();
    await ctx.close();
  });
});
