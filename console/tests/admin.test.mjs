// Administration in the browser: members and API keys for admins; nothing for the others.
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

describe("administration", () => {
  test("an admin adds a member, changes their role, deactivates them, and is told why the last admin stays", async () => {
    const ctx = await context(browser);
    const page = await ctx.newPage();
    await signIn(page, await member("admin"));
    await page.getByRole("link", { name: "Admin", exact: true }).click();
    await page.getByRole("heading", { name: "Add a member" }).waitFor();
    const email = `analyst-${Date.now()}@console.test`;
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("First password").fill("analyst-password-1");
    await page.getByLabel("Role", { exact: true }).selectOption("viewer");
    await page.getByRole("button", { name: "Add member" }).click();
    await page.getByText(`${email} was added.`).waitFor();
    const reloaded = () => page.waitForResponse((r) => new URL(r.url()).pathname === "/users" && r.request().method() === "GET");
    await Promise.all([reloaded(), page.getByLabel(`Role of ${email}`).selectOption("editor")]);
    const users = await apiCall("GET", "/users");
    assert.equal(users.body.find((u) => u.email === email).role, "editor");
    assert.equal(await page.getByLabel(`Role of ${email}`).inputValue(), "editor");
    await page.getByRole("button", { name: `Deactivate ${email}` }).click();
    await page.getByRole("button", { name: `Reactivate ${email}` }).waitFor();

    // The only admin demoting themself is refused, with the rule said.
    await page.getByLabel("Role of admin@console.test").selectOption("viewer");
    await page.getByRole("alert").filter({ hasText: /admin/i }).waitFor();
    await accessible(page, "admin-members");
    await screenshots(page, "admin-members");
    await ctx.close();
  });

  test("an admin creates an API key whose secret is shown once, and revokes it", async () => {
    const ctx = await context(browser);
    const page = await ctx.newPage();
    await signIn(page, await member("admin"));
    await page.goto(`${BASE}/app/admin/api-keys`);
    await page.getByLabel("Name").fill("Browser test key");
    await page.getByLabel("Role").selectOption("viewer");
    await page.getByRole("button", { name: "Create key" }).click();
    const secret = (await page.getByTestId("new-key").textContent()).trim();
    assert.match(secret, /^pk_/);
    const works = await fetch(`${BASE}/auth/me`, { headers: { Authorization: `Bearer ${secret}` } });
    assert.equal(works.status, 200);
    await accessible(page, "admin-api-keys");
    await screenshots(page, "admin-api-keys");
    await page.getByRole("button", { name: "I have stored it" }).click();
    assert.equal(await page.getByTestId("new-key").count(), 0);
    assert.equal((await page.content()).includes(secret), false, "the secret is not shown again");
    await page.getByRole("button", { name: "Revoke Browser test key" }).click();
    await page.getByRole("button", { name: "Revoke Browser test key" }).waitFor({ state: "detached" });
    const revoked = await fetch(`${BASE}/auth/me`, { headers: { Authorization: `Bearer ${secret}` } });
    assert.equal(revoked.status, 401);
    await ctx.close();
  });

  test("viewers and editors see no administration, and the API refuses them", async () => {
    for (const role of ["viewer", "editor"]) {
      const ctx = await context(browser);
      const page = await ctx.newPage();
      await signIn(page, await member(role));
      assert.equal(await page.getByRole("link", { name: "Admin", exact: true }).count(), 0, role);
      await page.goto(`${BASE}/app/admin/members`);
      await page.getByText("Administration is for admins").waitFor();
      const status = await page.evaluate(async () => {
        const me = await (await fetch("/auth/me")).json();
        const res = await fetch("/api-keys", {
          method: "POST",
          headers: { "Content-Type": "application/json", "X-CSRF-Token": me.csrf_token },
          body: JSON.stringify({ name: "nope", role: "viewer" }),
        });
        return res.status;
      });
      assert.equal(status, 403, role);
      await ctx.close();
    }
  });
});
