// Tickets in the browser: a Jira CSV import with its skipped rows, scores and priority-gap
// flags after Recalculate all, and a match decision that moves the score at once.
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

const JIRA_CSV = [
  "Issue key,Summary,Description,Status,Priority",
  "PROD-1,SAML SSO with Okta and Azure AD,Enterprise customers require SAML single sign-on with Okta and Azure AD and enforced SSO before expanding seats,To Do,Medium",
  "PROD-2,Dark mode for the web app,Offer a dark theme for people working at night,In Progress,Highest",
  "PROD-3,Speed up CSV export of large reports,The CSV export of large reports times out; customers split reports into date ranges by hand,To Do,Lowest",
  ",A row without a key,Nothing here,To Do,Low",
].join("\n");

describe("tickets", () => {
  test("import a Jira CSV, recalculate, see the gaps, and move a score by rejecting a match", async () => {
    const ctx = await context(browser);
    const page = await ctx.newPage();
    await signIn(page, await member("editor"));
    await page.getByRole("link", { name: "Tickets", exact: true }).click();
    await page.getByRole("heading", { name: "Tickets", level: 1 }).waitFor();
    await page.setInputFiles("#jira-csv", { name: "jira.csv", mimeType: "text/csv", buffer: Buffer.from(JIRA_CSV) });
    await page.getByText("3 tickets read: 3 new").waitFor();
    await page.getByText("Row 5: jira_key: must be 1-50 characters").waitFor();

    await page.getByRole("button", { name: "Recalculate all" }).click();
    await page.getByText("Scores recalculated").waitFor({ timeout: 60_000 });
    await page.locator("table.data tbody tr").first().waitFor();
    assert.equal(await page.locator("table.data tbody tr").count(), 3);
    await page.locator(".gap-under").filter({ hasText: "lowest →" }).waitFor();
    await page.locator(".gap-over").first().waitFor();
    await accessible(page, "tickets");
    await screenshots(page, "tickets");

    await page.getByRole("link", { name: /PROD-3/ }).click();
    const score = page.getByTestId("voc-score");
    await score.waitFor();
    const before = Number(await score.textContent());
    await page.getByRole("heading", { name: "Evidence over time" }).waitFor();
    await page.waitForFunction(() => [...document.querySelectorAll("figure.chart canvas")].some((c) => c.chart));
    assert.ok(before > 0, `PROD-3 is scored (${before})`);
    await page.getByRole("button", { name: /^Reject / }).first().click();
    await page.waitForFunction((b) => {
      const el = document.querySelector("[data-testid='voc-score']");
      return !el || Number(el.textContent) < b;
    }, before);
    await page.getByRole("button", { name: /^Confirm / }).first().click();
    await page.waitForFunction((b) => Number(document.querySelector("[data-testid='voc-score']")?.textContent) === b, before);
    await page.getByRole("button", { name: "Draft PRD" }).click();
    await page.locator(".prd h2, .prd h3").first().waitFor();
    await accessible(page, "ticket");
    await screenshots(page, "ticket");

    // Edit, delete, and add one by hand.
    await page.getByLabel("Priority", { exact: true }).selectOption("HIGH");
    await page.getByText("priority high").waitFor();
    await page.getByRole("button", { name: "Delete ticket" }).click();
    await page.getByRole("button", { name: "Delete", exact: true }).click();
    await page.waitForURL(/\/app\/tickets$/);
    await page.waitForFunction(() => document.querySelectorAll("table.data tbody tr").length === 2);
    await page.getByRole("button", { name: "+ Add a ticket by hand" }).click();
    await page.getByLabel("Jira key").fill("PROD-9");
    await page.getByLabel("Title").fill("Nightly audit log export to the SIEM");
    await page.getByRole("button", { name: "Add ticket" }).click();
    await page.getByRole("link", { name: /PROD-9/ }).waitFor();
    await ctx.close();
  });
});
