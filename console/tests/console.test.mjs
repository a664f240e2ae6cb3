// The console in a real browser (Debian's Chromium), against a real API, worker and the
// demo data: what a PM does on each page, and what a viewer may not.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { after, before, describe, test } from "node:test";
import { accessible, BASE, context, launch, member, pdf, screenshots, signIn } from "./helpers.mjs";

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

async function signedIn(role = "admin", opts) {
  const ctx = await context(browser, opts);
  const page = await ctx.newPage();
  await signIn(page, await member(role));
  return { ctx, page };
}

describe("signing in", () => {
  test("a member signs in with email and password and signs out", async () => {
    const ctx = await context(browser);
    const page = await ctx.newPage();
    await page.goto(`${BASE}/`);
    assert.equal(new URL(page.url()).pathname, "/app/");
    await page.getByRole("heading", { name: "Sign in to ProduckAI" }).waitFor();
    await accessible(page, "sign-in");
    await screenshots(page, "sign-in");

    await page.getByLabel("Email").fill("admin@console.test");
    await page.getByLabel("Password").fill("not-the-password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").filter({ hasText: "incorrect" }).waitFor();

    await signIn(page, await member("admin"));
    const cookies = await ctx.cookies();
    const session = cookies.find((c) => c.name === "produck_session");
    assert.ok(session, "session cookie set");
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, "Lax");
    assert.equal(await page.evaluate(() => document.cookie.includes("produck_session")), false, "scripts cannot read the session");

    await page.getByRole("group").first().waitFor();
    await page.locator("summary[aria-label^='Account']").click();
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("heading", { name: "Sign in to ProduckAI" }).waitFor();
    // The old cookie no longer works even if replayed.
    const replay = await fetch(`${BASE}/auth/me`, { headers: { Cookie: `produck_session=${session.value}` } });
    assert.equal(replay.status, 401);
    assert.deepEqual(ctx.foreignRequests, []);
    await ctx.close();
  });

  test("a state-changing request with the cookie but without the CSRF token is refused", async () => {
    const { ctx, page } = await signedIn("admin");
    const result = await page.evaluate(async () => {
      const res = await fetch("/feedback", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ items: [{ source_id: "csrf-probe", text: "should never be stored" }] }),
      });
      return { status: res.status, body: await res.json() };
    });
    assert.equal(result.status, 403);
    assert.equal(result.body.code, "csrf_failed");
    await ctx.close();
  });
});

describe("interruptions", () => {
  test("a lost connection and an ended session are said plainly, and what was typed survives", async () => {
    const { ctx, page } = await signedIn("admin");
    await page.getByRole("button", { name: "Ask copilot" }).click();
    const question = "Which accounts are blocked by SSO?";
    await page.getByLabel("Ask a question").fill(question);

    await ctx.setOffline(true);
    await page.getByRole("button", { name: /High priority/ }).click();
    await page.locator(".banner-warn").filter({ hasText: "Can't reach ProduckAI" }).waitFor();
    await ctx.setOffline(false);
    await page.getByRole("button", { name: "All insights" }).click();
    await page.locator(".banner-warn").waitFor({ state: "detached" });

    // The session ends under the page (signed out elsewhere): the next request says so,
    // and signing in again keeps the page as it was.
    await page.evaluate(async () => {
      const me = await (await fetch("/auth/me")).json();
      await fetch("/auth/session", { method: "DELETE", headers: { "X-CSRF-Token": me.csrf_token } });
    });
    await page.getByRole("button", { name: /Trending/ }).click();
    const dialog = page.getByRole("dialog", { name: "Your session has ended" });
    await dialog.waitFor();
    await screenshots(page, "session-ended");
    await dialog.getByLabel("Password").fill((await member("admin")).password);
    await dialog.getByRole("button", { name: "Sign in" }).click();
    await dialog.waitFor({ state: "detached" });
    assert.equal(await page.getByLabel("Ask a question").inputValue(), question);
    await page.getByRole("button", { name: "Ask", exact: true }).click();
    await page.locator(".turn-foot").waitFor({ timeout: 60_000 });
    await ctx.close();
  });
});

describe("roles", () => {
  test("a viewer has no upload, delete or clustering controls, and the API refuses them anyway", async () => {
    const { ctx, page } = await signedIn("viewer");
    await page.locator(".board-row .row-link").first().waitFor();
    assert.equal(await page.getByRole("link", { name: "Upload", exact: true }).count(), 0);
    assert.equal(await page.getByRole("button", { name: "Run clustering" }).count(), 0);
    await page.getByRole("link", { name: "Feedback" }).click();
    await page.locator(".evidence-row").first().waitFor();
    assert.equal(await page.getByRole("button", { name: /^Delete/ }).count(), 0);
    await page.goto(`${BASE}/app/upload`);
    await page.getByText("Uploading needs the editor role").waitFor();
    const refused = await page.evaluate(async () => {
      const me = await (await fetch("/auth/me")).json();
      const form = new FormData();
      form.append("files", new Blob(["text\nhello"], { type: "text/csv" }), "x.csv");
      const res = await fetch("/upload/upload-feedback", { method: "POST", body: form, headers: { "X-CSRF-Token": me.csrf_token } });
      return res.status;
    });
    assert.equal(refused, 403);
    await ctx.close();
  });
});

describe("the board", () => {
  test("lists the demo insights; filters change the list and the address; search highlights", async () => {
    const { ctx, page } = await signedIn("admin");
    const started = Date.now();
    await page.goto(`${BASE}/app/`);
    await page.locator(".board-row .row-link").first().waitFor();
    console.log(`  board interactive ${Date.now() - started} ms after navigation (demo data, ${process.env.CONSOLE_PROFILE ?? "debug"} build)`);
    const all = await page.locator(".board-row .row-link").allTextContents();
    assert.ok(all.length >= 5, `demo insights listed: ${all.length}`);
    await accessible(page, "board");
    await screenshots(page, "board");
    const [csv] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "Export CSV" }).click()]);
    assert.match(csv.suggestedFilename(), /^insights-\d{4}-\d{2}-\d{2}\.csv$/);
    const exported = await readFile(await csv.path(), "utf8");
    assert.match(exported, /^title,severity,effort,priority_score,/);
    assert.ok(exported.includes(all[0].trim()), "the first insight is in the file");

    await page.getByRole("button", { name: /High priority/ }).click();
    await page.waitForURL(/filter=high_priority/);
    const expected = (await page.getByRole("button", { name: /High priority/ }).textContent()).match(/\d+/)[0];
    await page.waitForFunction((n) => document.querySelectorAll(".board-row .row-link").length === Number(n), expected);
    await page.getByRole("button", { name: "All insights" }).click();
    await page.getByLabel("Severity").selectOption("high");
    await page.waitForURL((url) => url.searchParams.get("severity") === "high" && !url.searchParams.has("filter"));
    await page.waitForFunction(() => {
      const badges = [...document.querySelectorAll(".board-row .badge")].map((b) => b.textContent);
      return badges.length > 0 && badges.every((b) => b === "high");
    });
    assert.notDeepEqual(await page.locator(".board-row .row-link").allTextContents(), all);
    await page.goto(`${BASE}/app/`);

    await page.getByLabel("Search feedback and insights").fill("export");
    await page.getByRole("button", { name: "Search", exact: true }).click();
    await page.locator(".search-results mark").first().waitFor();
    const marked = await page.locator(".search-results mark").first().textContent();
    assert.match(marked.toLowerCase(), /export/);
    assert.deepEqual(ctx.foreignRequests, []);
    await ctx.close();
  });
});

describe("pictures", () => {
  test("the theme map draws one bubble per insight and a click opens it; trends show the top insights", async () => {
    const { ctx, page } = await signedIn("admin");
    await page.getByRole("tab", { name: "Theme map" }).click();
    await page.waitForURL(/view=map/);
    const canvas = page.locator(".theme-map canvas");
    await canvas.waitFor();
    await page.waitForFunction(() => document.querySelector(".theme-map canvas")?.chart);
    const map = await (await fetch(`${BASE}/themes/map`, { headers: { Cookie: (await ctx.cookies()).map((c) => `${c.name}=${c.value}`).join("; ") } })).json();
    const bubbles = await canvas.evaluate((c) => c.chart.getDatasetMeta(0).data.map((e) => ({ x: e.x, y: e.y, r: e.options.radius })));
    assert.equal(bubbles.length, map.length, "one bubble per insight");
    // Click a bubble whose centre no other bubble covers, so the click can only mean it.
    const free = bubbles.findIndex((b, i) => bubbles.every((o, j) => j === i || Math.hypot(b.x - o.x, b.y - o.y) > o.r + 2));
    assert.ok(free >= 0, "some bubble stands clear of the others");
    assert.equal(await page.locator(".theme-map table tbody tr").count(), map.length, "and one row of the text alternative");
    await accessible(page, "theme-map");
    await screenshots(page, "theme-map");
    await canvas.click({ position: { x: bubbles[free].x, y: bubbles[free].y } });
    await page.waitForURL(new RegExp(`/app/insights/${map[free].insight_id}$`));
    await page.locator(".quote").first().waitFor();

    await page.goto(`${BASE}/app/?view=trends`);
    await page.locator(".pictures canvas").waitFor();
    await page.waitForFunction(() => document.querySelector(".pictures canvas")?.chart);
    assert.ok((await page.locator(".pictures table tbody tr").count()) > 0);
    await screenshots(page, "trends");
    await ctx.close();
  });
});

describe("an insight", () => {
  test("shows quotes and the timeline, and drafts a PRD that downloads as Markdown", async () => {
    const { ctx, page } = await signedIn("admin");
    await page.locator(".board-row .row-link").first().click();
    await page.locator(".quote").first().waitFor();
    await page.locator("figure.chart canvas").first().waitFor();
    const mentions = await page.locator("figure.chart table tbody tr td:nth-child(2)").allTextContents();
    assert.equal(mentions.length, 12);
    assert.ok(mentions.some((m) => Number(m) > 0), "some week has mentions");
    // The chart is drawn (Chart.js sizes the canvas once it has rendered).
    await page.waitForFunction(() => (document.querySelector("figure.chart canvas")?.width ?? 0) > 0);
    assert.ok((await page.locator(".customers li").count()) > 0);
    await page.getByRole("button", { name: "Draft PRD" }).click();
    await page.locator(".prd h2, .prd h3").first().waitFor();
    await accessible(page, "insight");
    await screenshots(page, "insight");
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download .md" }).click()]);
    assert.match(download.suggestedFilename(), /^prd-.*\.md$/);
    const text = await readFile(await download.path(), "utf8");
    const sections = text.split("\n").filter((l) => /^## /.test(l));
    assert.equal(sections.length, 13, sections.join("\n"));
    const [md] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "Export .md" }).click()]);
    assert.match(md.suggestedFilename(), /\.md$/);
    const insightText = await readFile(await md.path(), "utf8");
    assert.match(insightText, /^# .+\n/);
    assert.ok(insightText.includes("## What customers said"));
    await page.getByLabel("Prototype").selectOption("ui_component");
    await page.getByRole("button", { name: "Write prompt" }).click();
    await page.locator("pre.prompt").waitFor();
    await ctx.close();
  });
});

describe("curating an insight", () => {
  test("an editor rewords, pins, splits off and merges, and undoes each from the note it leaves", async () => {
    const { ctx, page } = await signedIn("editor");
    await page.locator(".board-row .row-link").first().click();
    await page.locator(".quote").first().waitFor();
    const h1 = page.getByRole("heading", { level: 1 });
    const original = (await h1.textContent()).trim();
    const feedbackItems = async () => Number((await page.locator(".metrics div").filter({ hasText: "Feedback items" }).locator("dd").textContent()).replace(/\D/g, ""));
    /** Waits until the shown feedback count is `n` ("exactly") or above it ("above"). */
    const itemsShown = (how, n) =>
      page.waitForFunction(
        ([how, n]) => {
          const row = [...document.querySelectorAll(".metrics div")].find((d) => d.textContent.includes("Feedback items"));
          const shown = Number(row?.querySelector("dd")?.textContent.replace(/\D/g, "") ?? NaN);
          return how === "above" ? shown > n : shown === n;
        },
        [how, n],
      );
    const undo = async (what) => {
      const note = page.locator(".done-note").filter({ hasText: what });
      await note.getByRole("button", { name: "Undo" }).click();
      await page.locator(".done-note").filter({ hasText: /^Undone/ }).waitFor();
    };

    // Reword: the insight says who edited it; Undo brings the writer's words back.
    await page.getByRole("button", { name: "Edit wording" }).click();
    await page.getByLabel("Title").fill("Enterprise rollouts wait on this");
    await page.getByRole("button", { name: "Save wording" }).click();
    await page.getByRole("heading", { level: 1, name: "Enterprise rollouts wait on this" }).waitFor();
    await page.getByText("Edited by editor@console.test").waitFor();
    await undo("Saved your wording");
    await page.getByRole("heading", { level: 1, name: original }).waitFor();

    // Pin: the board lists it first.
    const id = new URL(page.url()).pathname.split("/").pop();
    const lastOnBoard = await page.evaluate(async () => (await (await fetch("/themes?limit=100")).json()).at(-1).id);
    await page.goto(`${BASE}/app/insights/${lastOnBoard}`);
    await page.locator(".quote").first().waitFor();
    await page.getByRole("button", { name: "Pin to top" }).click();
    await page.locator(".insight-head .chip-pinned").waitFor();
    const first = await page.evaluate(async () => (await (await fetch("/themes?limit=1")).json())[0].id);
    assert.equal(first, lastOnBoard, "the pinned insight heads the board");
    await accessible(page, "insight-curated");
    await screenshots(page, "insight-curated");
    await undo("Pinned");
    await page.locator(".insight-head .chip-pinned").waitFor({ state: "detached" });

    // Tick two quotes and split them off into a new insight; Undo takes it back.
    await page.goto(`${BASE}/app/insights/${id}`);
    await page.locator(".quote").first().waitFor();
    const before = await feedbackItems();
    const picks = page.getByLabel("Select this feedback");
    await picks.nth(0).check();
    await picks.nth(1).check();
    await page.getByRole("region", { name: "Selected feedback" }).getByText("2 items selected").waitFor();
    await screenshots(page, "insight-selection");
    await page.getByRole("button", { name: "Split off as a new insight" }).click();
    const splitNote = page.locator(".done-note").filter({ hasText: "Split 2 items off" });
    await splitNote.getByRole("link").waitFor();
    await itemsShown("exactly", before - 2);
    await undo("Split 2 items off");
    await page.waitForFunction((n) => document.querySelector(".metrics")?.textContent.includes(String(n)), before);
    assert.equal(await feedbackItems(), before);

    // Merge another insight into this one, after a confirmation; Undo splits them again.
    const merge = page.getByLabel("Merge another insight into this one");
    const option = await merge.locator("option").nth(1).getAttribute("value");
    await merge.selectOption(option);
    await page.getByRole("button", { name: "Merge…" }).click();
    await page.getByRole("button", { name: "Merge", exact: true }).click();
    await page.locator(".done-note").filter({ hasText: "into this insight" }).waitFor();
    // The page reloads the insight after the note appears: wait for the merged feedback.
    await itemsShown("above", before);
    await undo("into this insight");
    await page.waitForFunction(async (other) => (await fetch(`/themes/${other}`)).status === 200, option);
    await itemsShown("exactly", before);
    await ctx.close();
  });

  test("pushing to Jira without a connected site says what is missing", async () => {
    const { ctx, page } = await signedIn("editor");
    await page.locator(".board-row .row-link").first().click();
    await page.getByRole("heading", { name: "Jira" }).waitFor();
    await page.getByLabel("Project key").fill("prod");
    assert.equal(await page.getByLabel("Project key").inputValue(), "PROD", "keys are upper case");
    await page.getByRole("button", { name: "Push to Jira" }).click();
    await page.getByRole("alert").filter({ hasText: /no Jira connection/i }).waitFor();
    await ctx.close();
  });

  test("a viewer sees no curation controls", async () => {
    const { ctx, page } = await signedIn("viewer");
    await page.locator(".board-row .row-link").first().click();
    await page.locator(".quote").first().waitFor();
    assert.equal(await page.getByRole("heading", { name: "Curate" }).count(), 0);
    assert.equal(await page.getByLabel("Select this feedback").count(), 0);
    assert.equal(await page.getByRole("button", { name: "Edit wording" }).count(), 0);
    assert.equal(await page.getByRole("button", { name: "Push to Jira" }).count(), 0);
    await ctx.close();
  });
});

describe("feedback", () => {
  test("lists items by source, opens a document whole, and an editor deletes an item", async () => {
    const { ctx, page } = await signedIn("editor");
    await page.getByRole("link", { name: "Feedback" }).click();
    await page.locator(".evidence-row").first().waitFor();
    await page.getByLabel("Source").selectOption("slack");
    await page.waitForURL(/source=slack/);
    await page.waitForFunction(() => [...document.querySelectorAll(".evidence-row .chip")].every((c) => c.textContent === "Slack"));
    await accessible(page, "feedback");
    await screenshots(page, "feedback");
    const before = await page.locator(".evidence-row").count();
    await page.getByRole("button", { name: /^Delete feedback/ }).first().click();
    await page.getByRole("button", { name: "Delete", exact: true }).click();
    await page.waitForFunction((n) => document.querySelectorAll(".evidence-row").length === n - 1, before);

    await page.getByRole("tab", { name: "Documents" }).click();
    await page.locator(".documents .row-link").first().click();
    await page.locator(".document .chunk").first().waitFor();
    await accessible(page, "document");
    await screenshots(page, "document");
    await ctx.close();
  });
});

describe("upload", () => {
  test("a CSV and a PDF show their own progress to completion, then clustering changes the board", async () => {
    const { ctx, page } = await signedIn("editor");
    const boardBefore = await page.locator(".board-row .row-link").allTextContents();
    await page.getByRole("link", { name: "Upload", exact: true }).click();
    await page.getByText("Drop files here").waitFor();
    await page.locator(".formats").waitFor();
    await accessible(page, "upload");
    const rows = ["text,account", ...Array.from({ length: 12 }, (_, i) => `"The mobile app logs me out every few minutes on Android ${i}",Umbrella Corp`)];
    await page.setInputFiles("#files", [
      { name: "survey.csv", mimeType: "text/csv", buffer: Buffer.from(rows.join("\n")) },
      { name: "interview.pdf", mimeType: "application/pdf", buffer: pdf(["The Android app keeps signing us out and we lose our work.", "Staying signed in on mobile matters most to our field team."]) },
    ]);
    await page.getByRole("button", { name: "Upload 2 files" }).click();
    for (const name of ["survey.csv", "interview.pdf"]) {
      await page.locator(".upload", { hasText: name }).locator("[data-stage='embedded']").waitFor({ timeout: 90_000 });
    }
    await screenshots(page, "upload");
    await page.getByRole("button", { name: "Run clustering" }).click();
    await page.locator(".progress").waitFor();
    await page.getByText(/Last clustered/).waitFor({ timeout: 90_000 });
    await page.getByRole("link", { name: "board" }).click();
    await page.locator(".board-row .row-link").first().waitFor();
    const boardAfter = await page.locator(".board-row .row-link").allTextContents();
    assert.notDeepEqual(boardAfter, boardBefore, "the board changed after clustering the uploads");
    await ctx.close();
  });
});

describe("the copilot", () => {
  test("streams an answer whose citation opens its quote; conversations can be renamed and archived", async () => {
    const { ctx, page } = await signedIn("admin");
    await page.getByRole("button", { name: "Ask copilot" }).click();
    await page.getByLabel("Ask a question").fill("What are the top enterprise blockers?");
    await page.getByRole("button", { name: "Ask", exact: true }).click();
    const chip = page.locator(".turn-assistant button.cite").first();
    await chip.waitFor({ timeout: 60_000 });
    await page.locator(".turn-foot").waitFor({ timeout: 60_000 });
    await chip.click();
    await page.locator(".citation-card blockquote").waitFor();
    assert.ok((await page.locator(".citation-card blockquote").textContent()).length > 10);
    await page.getByRole("button", { name: "Helpful" }).first().click();
    await accessible(page, "copilot");
    await screenshots(page, "copilot");

    await page.getByRole("button", { name: "Conversations" }).click();
    await page.getByRole("button", { name: /^Rename/ }).first().click();
    const title = `Blockers for Q3 (${Date.now()})`;
    await page.getByLabel("New title").fill(title);
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByText(title).waitFor();
    await page.getByRole("button", { name: `Archive ${title}` }).click();
    await page.getByRole("button", { name: `Archive ${title}` }).waitFor({ state: "detached" });
    await page.getByLabel("Show archived").check();
    await page.getByRole("button", { name: `Restore ${title}` }).waitFor();
    await ctx.close();
  });

  test("on an insight page the copilot asks about that insight", async () => {
    const { ctx, page } = await signedIn("admin");
    await page.locator(".board-row .row-link").first().click();
    await page.locator(".quote").first().waitFor();
    const title = await page.locator("h1").textContent();
    await page.getByRole("button", { name: "Ask the copilot about this" }).click();
    await page.locator(".copilot-context").filter({ hasText: title }).waitFor();
    await ctx.close();
  });
});

describe("a phone", () => {
  test("the board reads at 390 px", async () => {
    const { ctx, page } = await signedIn("admin", { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    await page.locator(".board-row .row-link").first().waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `no sideways scrolling (${overflow}px)`);
    await ctx.close();
  });
});
