// The member's own account in the browser: an admin creates a workspace and switches the
// console into it and back; a member changes their password and signs in with the new one.
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

describe("account", () => {
  test("an admin creates a workspace, switches into it and back", async () => {
    const ctx = await context(browser);
    const page = await ctx.newPage();
    await signIn(page, await member("admin"));
    await page.getByLabel(/^Account:/).click();
    await page.getByRole("link", { name: "Account and workspaces" }).click();
    await page.getByRole("heading", { name: "Your account" }).waitFor();
    const name = `Research ${Date.now()}`;
    await page.getByLabel("New workspace").fill(name);
    await page.getByRole("button", { name: "Create workspace" }).click();
    await page.getByText(`${name} was created.`).waitFor();
    await page.getByRole("button", { name: `Switch to ${name}` }).click();
    // The board of the new workspace: nothing clustered yet, and the menu names it.
    await page.getByRole("heading", { name: "Insights", level: 1 }).waitFor();
    await page.getByLabel(/^Account:/).click();
    await page.getByText(`admin · ${name}`).waitFor();
    const mine = await page.evaluate(async () => (await fetch("/auth/me")).json());
    assert.equal(mine.workspace.name, name);
    await screenshots(page, "account-new-workspace");
    await page.getByRole("link", { name: "Account and workspaces" }).click();
    await page.getByRole("button", { name: "Switch to Default" }).click();
    await page.getByRole("heading", { name: "Insights", level: 1 }).waitFor();
    const back = await page.evaluate(async () => (await fetch("/auth/me")).json());
    assert.equal(back.workspace.name, "Default");
    await ctx.close();
  });

  test("a member changes their password: the wrong current one is refused, the new one signs in", async () => {
    const who = { email: `pm-${Date.now()}@console.test`, password: "first-password-1" };
    const made = await apiCall("POST", "/users", { email: who.email, password: who.password, role: "editor" });
    assert.equal(made.status, 201, JSON.stringify(made));
    const ctx = await context(browser);
    const page = await ctx.newPage();
    await signIn(page, who);
    await page.goto(`${BASE}/app/account`);
    await page.getByLabel("Current password").fill("not-my-password");
    await page.getByLabel("New password", { exact: true }).fill("second-password-2");
    await page.getByLabel("New password again").fill("second-password-2");
    await page.getByRole("button", { name: "Change password" }).click();
    await page.getByText("is not your current password").waitFor();
    await page.getByLabel("Current password").fill(who.password);
    await page.getByRole("button", { name: "Change password" }).click();
    await page.getByText("Password changed.").waitFor();
    await accessible(page, "account");
    await screenshots(page, "account");
    await ctx.close();

    const fresh = await context(browser);
    const again = await fresh.newPage();
    await signIn(again, { email: who.email, password: "second-password-2" });
    await fresh.close();
  });
});
