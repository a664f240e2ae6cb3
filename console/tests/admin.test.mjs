// Administration in the browser: members and API keys for admins; nothing for the others.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { accessible, apiCall, BASE, context, KEY, launch, member, screenshots, signIn } from "./helpers.mjs";

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
    // Wait for the change itself: the list's reload after "Add member" may still be in
    // flight, so a GET of /users alone does not mean the role was saved.
    const patched = () => page.waitForResponse((r) => /^\/users\/[^/]+$/.test(new URL(r.url()).pathname) && r.request().method() === "PATCH");
    await Promise.all([patched(), page.getByLabel(`Role of ${email}`).selectOption("editor")]);
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
    // The assistant configuration carries the new key and works as given.
    const setup = JSON.parse(await page.getByLabel("Assistant configuration").textContent());
    const server = setup.mcpServers.produckai;
    assert.equal(server.url, `${BASE}/mcp`);
    assert.equal(server.headers.Authorization, `Bearer ${secret}`);
    const listed = await fetch(server.url, {
      method: "POST",
      headers: { ...server.headers, "Content-Type": "application/json", Accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    assert.equal(listed.status, 200);
    const tools = (await listed.json()).result.tools.map((t) => t.name);
    assert.ok(tools.includes("search") && !tools.includes("add_feedback"), tools.join(", "));
    await accessible(page, "admin-api-keys");
    await screenshots(page, "admin-api-keys");
    await page.getByRole("button", { name: "I have stored it" }).click();
    assert.equal(await page.getByTestId("new-key").count(), 0);
    assert.equal((await page.content()).includes(secret), false, "the secret is not shown again");
    await page.getByRole("heading", { name: "Connect an AI assistant" }).waitFor();
    await page.getByRole("button", { name: "Revoke Browser test key" }).click();
    await page.getByRole("button", { name: "Revoke Browser test key" }).waitFor({ state: "detached" });
    const revoked = await fetch(`${BASE}/auth/me`, { headers: { Authorization: `Bearer ${secret}` } });
    assert.equal(revoked.status, 401);
    await ctx.close();
  });

  test("an admin adds a webhook whose secret is shown once, sends a test delivery and reads its log", async () => {
    const ctx = await context(browser);
    const page = await ctx.newPage();
    await signIn(page, await member("admin"));
    await page.goto(`${BASE}/app/admin/webhooks`);
    await page.getByRole("heading", { name: "Add an endpoint" }).waitFor();
    // A private address is refused, and the form says why.
    await page.getByLabel("URL").fill("https://10.0.0.5/hooks");
    await page.getByRole("button", { name: "Add endpoint" }).click();
    await page.getByText(/private, loopback or link-local/).waitFor();
    await page.getByLabel("URL").fill(`${process.env.CONSOLE_FAKE_URL}/hooks`);
    await page.getByLabel(/cluster\.completed/).check();
    await page.getByRole("button", { name: "Add endpoint" }).click();
    const secret = (await page.getByTestId("webhook-secret").textContent()).trim();
    assert.match(secret, /^whsec_/);
    await page.getByRole("button", { name: "I have stored it" }).click();
    assert.equal((await page.content()).includes(secret), false, "the secret is not shown again");
    await page.getByRole("button", { name: "Send test" }).click();
    const row = page.locator("tr").filter({ hasText: "webhook.test" });
    await row.filter({ hasText: "delivered" }).waitFor();
    assert.match(await row.textContent(), /200/);
    await accessible(page, "admin-webhooks");
    await screenshots(page, "admin-webhooks");
    await page.getByRole("button", { name: "Delete", exact: true }).click();
    await page.getByRole("button", { name: "Delete", exact: true }).click();
    await page.getByText("No endpoints yet.").waitFor();
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

describe("administration, continued", () => {
  test("scoring weights preview the top ten before saving; customers, audit trail and AI usage show", async () => {
    const ctx = await context(browser);
    const page = await ctx.newPage();
    await signIn(page, await member("admin"));
    await page.goto(`${BASE}/app/admin/scoring`);
    const trend = page.getByLabel("Rising trend");
    await trend.waitFor();
    const saved = (await apiCall("GET", "/admin/config")).body.weights;
    for (const label of ["Accounts in the last 30 days", "ACV behind it", "Segment mix", "Negative sentiment"]) await page.getByLabel(label).fill("0");
    await trend.fill("1");
    await page.getByRole("button", { name: "Preview the top ten" }).click();
    await page.locator("table.preview tbody tr").first().waitFor();
    assert.ok((await page.locator("table.preview .move.up, table.preview .move.down").count()) > 0, "the order changes");
    assert.deepEqual((await apiCall("GET", "/admin/config")).body.weights, saved, "a preview saves nothing");
    await accessible(page, "admin-scoring");
    await screenshots(page, "admin-scoring");

    await page.getByRole("link", { name: "Customers", exact: true }).click();
    await page.getByLabel("Account name").fill("Wayne Enterprises");
    await page.getByLabel("ACV (USD)").fill("350000");
    await page.getByRole("button", { name: "Add account" }).click();
    await page.locator("table.data tbody tr", { hasText: "Wayne Enterprises" }).waitFor();
    const northwind = page.locator("table.data tbody tr", { hasText: "Northwind Logistics" });
    await northwind.getByText("Insights", { exact: true }).click();
    await northwind.locator("details li a").first().waitFor();
    await page.locator("table.data tbody tr").first().waitFor();
    const first = page.locator("table.data tbody tr").first();
    const name = (await first.locator("strong").textContent()).trim();
    await first.getByLabel(`ACV of ${name} in USD`).fill("777000");
    await first.getByRole("button", { name: `Save ${name}` }).click();
    await page.waitForFunction(async (n) => {
      const res = await fetch("/customers/all?limit=500");
      return (await res.json()).some((c) => c.name === n && c.acv === 777000);
    }, name);
    await accessible(page, "admin-customers");
    await screenshots(page, "admin-customers");

    await page.getByRole("link", { name: "Audit trail", exact: true }).click();
    await page.getByLabel("Action").selectOption("member.");
    // The filtered list replaces the whole trail: every action shown is a member's.
    await page.waitForFunction(() => {
      const actions = [...document.querySelectorAll("table.data tbody td:nth-child(2) .mono")].map((a) => a.textContent);
      return actions.length > 0 && actions.every((a) => a.startsWith("member."));
    });
    await accessible(page, "admin-audit");
    await screenshots(page, "admin-audit");

    // A curation made elsewhere is undone from its entry in the trail.
    const board = (await apiCall("GET", "/themes?limit=1")).body;
    const pinned = await apiCall("PATCH", `/themes/${board[0].id}`, { pinned: true });
    assert.equal(pinned.status, 200, JSON.stringify(pinned));
    await page.getByLabel("Action").selectOption("theme.");
    const edited = page.locator("table.data tbody tr", { hasText: "theme.edited" }).first();
    await edited.getByRole("button", { name: /^Undo theme.edited/ }).click();
    await page.locator("table.data tbody tr", { hasText: "theme.undone" }).first().waitFor();
    const after = (await apiCall("GET", `/themes/${board[0].id}`)).body;
    assert.equal(after.pinned, false, "the pin is undone");
    // An assistant's tool call shows which tool and how it ended.
    const mcp = await fetch(`${BASE}/mcp`, {
      method: "POST",
      headers: { Authorization: `Bearer ${KEY}`, "Content-Type": "application/json", Accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "search", arguments: { q: "SSO" } } }),
    });
    assert.equal(mcp.status, 200, await mcp.text());
    await page.getByLabel("Action").selectOption("mcp.");
    await page.locator("table.data tbody tr", { hasText: "search" }).filter({ hasText: "answered" }).first().waitFor();
    await screenshots(page, "admin-audit-mcp");

    await page.getByRole("link", { name: "AI usage", exact: true }).click();
    await page.getByText("Budget left today").waitFor();
    await page.locator(".card canvas").first().waitFor();
    await accessible(page, "admin-ai");
    await screenshots(page, "admin-ai");

    await page.getByRole("link", { name: "Jobs", exact: true }).click();
    await page.locator("table.data tbody tr", { hasText: "cluster" }).first().waitFor();
    await accessible(page, "admin-jobs");
    await ctx.close();
  });
});
