// Fake Slack and Google (and a webhook receiver) for the browser tests, answering in the vendors' own shapes (Slack's
// Web API envelope, Google's OAuth 2.0 endpoints). The API under test is pointed here by
// scripts/test-console.sh; run directly, this prints its address and serves until killed.
import { createServer } from "node:http";

const SLACK_TOKEN = "xoxb-2001-fake-console-token";
const now = Math.floor(Date.now() / 1000);

const slack = {
  "auth.test": () => ({ ok: true, url: "https://acme-fake.slack.com/", team: "Acme Fake", user: "produck", team_id: "T0FAKE01", user_id: "U0BOT01", bot_id: "B0BOT01" }),
  "conversations.info": (q) =>
    q.get("channel") === "C0ACME01"
      ? { ok: true, channel: { id: "C0ACME01", name: "acme-customer", is_channel: true, is_member: true, is_archived: false } }
      : { ok: false, error: "channel_not_found" },
  "conversations.history": () => ({
    ok: true,
    messages: [
      { type: "message", user: "U0PAM01", text: "Acme's admins want audit logs exported to their SIEM every night.", ts: `${now - 3600}.000200` },
      { type: "message", user: "U0PAM01", text: "Exporting the audit log by hand each week takes their security team hours.", ts: `${now - 7200}.000100` },
    ],
    has_more: false,
    response_metadata: { next_cursor: "" },
  }),
  "conversations.replies": () => ({ ok: true, messages: [], has_more: false, response_metadata: { next_cursor: "" } }),
  "users.info": (q) => ({ ok: true, user: { id: q.get("user"), name: "pam", real_name: "Pam Beesly", profile: { real_name: "Pam Beesly", display_name: "pam" } } }),
};

function json(res, status, body) {
  res.writeHead(status, { "Content-Type": "application/json; charset=utf-8" });
  res.end(JSON.stringify(body));
}

async function body(req) {
  let data = "";
  for await (const chunk of req) data += chunk;
  return new URLSearchParams(data);
}

export function startFakeVendors(port = 0) {
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, "http://fake");
    if (url.pathname.startsWith("/slack/api/")) {
      if (req.headers.authorization !== `Bearer ${SLACK_TOKEN}`) return json(res, 200, { ok: false, error: "invalid_auth" });
      const method = slack[url.pathname.slice("/slack/api/".length)];
      return method ? json(res, 200, method(url.searchParams)) : json(res, 200, { ok: false, error: "unknown_method" });
    }
    if (url.pathname === "/google/o/oauth2/v2/auth") {
      // Google's consent screen, reduced to its one decision.
      const back = new URL(url.searchParams.get("redirect_uri"));
      back.searchParams.set("code", "4/0fake-google-code");
      back.searchParams.set("state", url.searchParams.get("state"));
      back.searchParams.set("scope", url.searchParams.get("scope") ?? "");
      res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
      return res.end(`<!doctype html><html lang="en"><title>Sign in - Google Accounts</title><main><h1>ProduckAI wants to access your Google Account</h1><a id="allow" href="${back.toString().replace(/"/g, "&quot;")}">Allow</a></main></html>`);
    }
    if (url.pathname === "/google/token" && req.method === "POST") {
      const form = await body(req);
      if (form.get("grant_type") === "authorization_code" && form.get("code") === "4/0fake-google-code" && form.get("code_verifier")) {
        return json(res, 200, {
          access_token: "ya29.fake-console-access",
          expires_in: 3599,
          refresh_token: "1//fake-console-refresh",
          scope: "https://www.googleapis.com/auth/drive.readonly https://www.googleapis.com/auth/userinfo.email",
          token_type: "Bearer",
        });
      }
      return json(res, 400, { error: "invalid_grant", error_description: "Bad Request" });
    }
    if (url.pathname === "/google/oauth2/v2/userinfo") {
      return json(res, 200, { id: "1037483273819374", email: "pm@acme-fake.example", verified_email: true });
    }
    if (url.pathname === "/google/revoke") return json(res, 200, {});
    // A webhook receiver: accepts what is signed and says so.
    if (url.pathname === "/hooks" && req.method === "POST") {
      const signed = req.headers["webhook-id"] && req.headers["webhook-timestamp"] && /^v1,/.test(req.headers["webhook-signature"] ?? "");
      await body(req);
      return json(res, signed ? 200 : 400, { received: !!signed });
    }
    json(res, 404, { error: { code: 404, message: "Not Found" } });
  });
  return new Promise((resolve) => server.listen(port, "127.0.0.1", () => resolve(server)));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const server = await startFakeVendors();
  console.log(`http://127.0.0.1:${server.address().port}`);
}
