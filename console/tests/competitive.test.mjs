// Competitive intelligence in the browser: a manual card scored against the demo evidence,
// filtering by competitor, and the plain note when no model can research.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { accessible, context, launch, member, screenshots, signIn } from "./helpers.mjs";

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

describe("competitive intelligence", () => {
  test("an editor adds a competitor's moves and gets scored cards; auto research says it needs a model", async () => {
    const ctx = await context(browser);
    const page = await ctx.newPage();
    await signIn(page, await member("editor"));
    await page.getByRole("link", { name: "Competitors", exact: true }).click();
    await page.getByRole("heading", { name: "Competitive intelligence", level: 1 }).waitFor();
    await page.getByLabel("Our company").fill("ProduckAI");
    await page.getByLabel("Market", { exact: true }).fill("B2B feedback analytics for SaaS product teams");
    await page.getByLabel("Competitor", { exact: true }).fill("Rivalytics");
    await page.getByLabel("Their moves").fill("Launched SAML single sign-on with Okta and Azure AD for all plans");
    await page.getByRole("button", { name: "Score these moves" }).click();
    const card = page.locator("article.competitive").filter({ hasText: "Rivalytics" }).first();
    await card.waitFor({ timeout: 60_000 });
    assert.match(await card.locator(".pscore").textContent(), /^P\d+$/);
    await page.getByLabel("Show", { exact: true }).selectOption("Rivalytics");
    await page.waitForURL(/competitor=Rivalytics/);

    await page.getByRole("button", { name: "Let the model research" }).click();
    await page.getByText("Automatic research needs a language model").waitFor();
    await accessible(page, "competitive");
    await screenshots(page, "competitive");
    await ctx.close();
  });
});
