// Where feedback comes from: Google Drive, Zoom, Slack and Jira — connected or not, how the
// last sync went, and (admins) connect, choose what to read, sync now and disconnect.
import { useState } from "preact/hooks";
import { api, ok, rawFetch, type Schemas } from "../api/client";
import { setQuery, useLocation } from "../router";
import { can, me } from "../session";
import { useStore } from "../store";
import { useAction, useLoad } from "../ui/async";
import { ago, date } from "../ui/format";
import { ActionForm, Button, Confirm, Field, FormEnd, Note, ProblemNote, Progress } from "../ui/kit";
import { useFollowedJob } from "./jobProgress";
import { SlackNotifications } from "./SlackNotifications";

type View = Schemas["IntegrationView"];
type Provider = "google" | "zoom" | "slack" | "jira";

const ABOUT: Record<Provider, { name: string; what: string }> = {
  google: { name: "Google Drive", what: "Interview notes and research docs from the folders you choose." },
  zoom: { name: "Zoom", what: "Customer call transcripts from your cloud recordings." },
  slack: { name: "Slack", what: "Messages from the customer channels you opt in." },
  jira: { name: "Jira", what: "Feedback issues, and roadmap tickets to score by customer evidence." },
};

export function IntegrationsPage() {
  const who = useStore(me);
  const { query } = useLocation();
  const list = useLoad((signal) => ok(api.GET("/integrations", { signal })), []);
  const landed = query.get("status");
  const landedProvider = query.get("provider") as Provider | null;
  return (
    <section class="page">
      <div class="page-head">
        <div>
          <h1>Integrations</h1>
          <p class="muted">Where your customer feedback comes from. Scheduled syncs keep each source up to date.</p>
        </div>
      </div>
      {landed === "success" && landedProvider && ABOUT[landedProvider] && (
        <Note kind="success">
          <span>{ABOUT[landedProvider].name} is connected.</span>
          <button type="button" class="linklike" onClick={() => setQuery({ status: null, provider: null }, { replace: true })}>
            Dismiss
          </button>
        </Note>
      )}
      {!can(who, "admin") && <p class="note note-info">Only admins connect sources and choose what they read; you can see how each is doing.</p>}
      <ProblemNote problem={list.error} onRetry={list.reload} />
      <div class="integrations">
        {list.data?.map((v) => (
          <ProviderCard key={v.provider} view={v} admin={can(who, "admin")} onChange={list.reload} />
        ))}
      </div>
    </section>
  );
}

function statusWord(v: View): { word: string; tone: string } {
  if (!v.connected) return { word: "Not connected", tone: "idle" };
  const s = (v.status ?? "active").toLowerCase();
  if (s === "active") return { word: v.last_sync_status === "partial" ? "Active · catching up" : "Active", tone: "ok" };
  if (s === "stale") return { word: "Stale", tone: "warn" };
  if (s === "expired") return { word: "Expired: reconnect", tone: "bad" };
  return { word: "Error", tone: "bad" };
}

function ProviderCard({ view: v, admin, onChange }: { view: View; admin: boolean; onChange: () => void }) {
  const provider = v.provider as Provider;
  const about = ABOUT[provider];
  const status = statusWord(v);
  return (
    <article class="card integration" aria-labelledby={`${provider}-title`}>
      <header class="integration-head">
        <div>
          <h2 id={`${provider}-title`}>{about?.name ?? provider}</h2>
          <p class="muted small">{about?.what}</p>
        </div>
        <span class={`status status-${status.tone}`}>{status.word}</span>
      </header>
      {v.connected && (
        <dl class="facts">
          {v.account_email && (
            <>
              <dt>Account</dt>
              <dd>{v.account_email}</dd>
            </>
          )}
          <dt>Last sync</dt>
          <dd>
            {v.last_sync_at ? `${ago(v.last_sync_at)} (${v.last_sync_status ?? "done"})` : "not yet"}
          </dd>
          {v.expires_at && (
            <>
              <dt>Token renews</dt>
              <dd>{date(v.expires_at)}</dd>
            </>
          )}
          {v.scopes && v.scopes.length > 0 && (
            <>
              <dt>Scopes</dt>
              <dd class="small">{v.scopes.split(/\s+/).join(", ")}</dd>
            </>
          )}
        </dl>
      )}
      {v.last_error && <p class="note note-error small">Last error: {v.last_error}</p>}
      {v.item_errors.length > 0 && (
        <details class="small">
          <summary>{v.item_errors.length} item(s) could not be read</summary>
          <ul>
            {v.item_errors.slice(0, 20).map((e, i) => (
              <li key={i}>{typeof e === "string" ? e : JSON.stringify(e)}</li>
            ))}
          </ul>
        </details>
      )}
      {admin && <ProviderActions provider={provider} connected={v.connected} onChange={onChange} />}
    </article>
  );
}

function ProviderActions({ provider, connected, onChange }: { provider: Provider; connected: boolean; onChange: () => void }) {
  const [editing, setEditing] = useState(false);
  const oauth = provider === "google" || provider === "zoom";
  const connect = useAction();
  const startOAuth = () =>
    connect.run(async () => {
      const out = await ok(api.GET("/auth/{provider}/start", { params: { path: { provider: provider as "google" | "zoom" } } }));
      window.location.assign(out.authorization_url);
    });
  return (
    <div class="stack">
      <div class="button-row">
        {oauth ? (
          <Button variant={connected ? "secondary" : "primary"} busy={connect.busy} onClick={startOAuth}>
            {connected ? "Reconnect" : "Connect"}
          </Button>
        ) : (
          <Button variant={connected ? "secondary" : "primary"} onClick={() => setEditing(!editing)} aria-expanded={editing}>
            {connected ? "Change settings" : "Connect"}
          </Button>
        )}
        {connected && <SyncNow provider={provider} onDone={onChange} />}
        {connected && <Disconnect provider={provider} onDone={onChange} />}
      </div>
      <ProblemNote problem={connect.problem} />
      {editing && provider === "slack" && <SlackForm onSaved={() => { setEditing(false); onChange(); }} />}
      {editing && provider === "jira" && <JiraForm onSaved={() => { setEditing(false); onChange(); }} />}
      {provider === "google" && connected && <DriveFolders onSaved={onChange} />}
      {provider === "slack" && connected && <SlackNotifications />}
    </div>
  );
}

function SyncNow({ provider, onDone }: { provider: Provider; onDone: () => void }) {
  const { job, running, follow } = useFollowedJob(onDone);
  const { busy, problem, run } = useAction();
  const sync = () =>
    run(async () => {
      const res = await rawFetch(`/integrations/${provider}/sync`, { method: "POST", headers: { Prefer: "respond-async" } });
      follow(((await res.json()) as Schemas["SyncOut"]).task_id);
    });
  return (
    <>
      <Button busy={busy || running} onClick={sync}>
        Sync now
      </Button>
      {running && job && <Progress doing="Syncing" progress={job.progress} message={job.message} />}
      {job?.status === "completed" && <span class="muted small" role="status">Synced</span>}
      {job?.status === "failed" && <span class="field-error" role="alert">Sync failed: {job.error}</span>}
      <ProblemNote problem={problem} />
    </>
  );
}

function Disconnect({ provider, onDone }: { provider: Provider; onDone: () => void }) {
  const [confirming, setConfirming] = useState(false);
  const { busy, problem, run } = useAction();
  const path = provider === "slack" || provider === "jira" ? `/integrations/${provider}` : `/integrations/${provider}/disconnect`;
  if (!confirming) {
    return (
      <Button variant="ghost" onClick={() => setConfirming(true)}>
        Disconnect
      </Button>
    );
  }
  return (
    <span class="confirm">
      <Confirm
        question={<>Disconnect {ABOUT[provider].name}? Feedback already read stays.</>}
        action="Disconnect"
        busy={busy}
        onConfirm={() => run(async () => { await rawFetch(path, { method: "DELETE" }); setConfirming(false); onDone(); })}
        onCancel={() => setConfirming(false)}
      />
      <ProblemNote problem={problem} />
    </span>
  );
}

function SlackForm({ onSaved }: { onSaved: () => void }) {
  const [token, setToken] = useState("");
  const [channels, setChannels] = useState("");
  const { busy, problem, run } = useAction();
  return (
    <ActionForm
      run={run}
      action={async () => {
        const list = channels
          .split(/\n|,/)
          .map((l) => l.trim())
          .filter(Boolean)
          .map((l) => {
            const [id, ...account] = l.split(/\s+/);
            return { id, account: account.join(" ") || null };
          });
        await ok(api.PUT("/integrations/slack", { body: { bot_token: token, channels: list } }));
        onSaved();
      }}
    >
      <Field id="slack-token" label="Bot token" hint="The Slack app's xoxb-… token; checked with Slack, stored encrypted." error={problem?.fieldMessage("bot_token")}>
        <input id="slack-token" type="password" autoComplete="off" required value={token} onInput={(e) => setToken(e.currentTarget.value)} />
      </Field>
      <Field id="slack-channels" label="Channels" hint="One per line: channel id, then the account it is with (optional), e.g. C0123ABCD Acme Corp" error={problem?.fieldMessage("channels")}>
        <textarea id="slack-channels" rows={3} required value={channels} onInput={(e) => setChannels(e.currentTarget.value)} />
      </Field>
      <FormEnd label="Save and check" busy={busy} problem={problem} />
    </ActionForm>
  );
}

function JiraForm({ onSaved }: { onSaved: () => void }) {
  const [site, setSite] = useState("");
  const [email, setEmail] = useState("");
  const [token, setToken] = useState("");
  const [feedbackJql, setFeedbackJql] = useState("");
  const [roadmapJql, setRoadmapJql] = useState("");
  const { busy, problem, run } = useAction();
  return (
    <ActionForm
      run={run}
      action={async () => {
        await ok(
          api.PUT("/integrations/jira", {
            body: { site_url: site, email, api_token: token, feedback_jql: feedbackJql || null, roadmap_jql: roadmapJql || null },
          }),
        );
        onSaved();
      }}
    >
      <Field id="jira-site" label="Site" hint="https://your-site.atlassian.net" error={problem?.fieldMessage("site_url")}>
        <input id="jira-site" type="url" required value={site} onInput={(e) => setSite(e.currentTarget.value)} />
      </Field>
      <Field id="jira-email" label="Account email" error={problem?.fieldMessage("email")}>
        <input id="jira-email" type="email" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
      </Field>
      <Field id="jira-token" label="API token" hint="Checked with Jira, stored encrypted." error={problem?.fieldMessage("api_token")}>
        <input id="jira-token" type="password" autoComplete="off" required value={token} onInput={(e) => setToken(e.currentTarget.value)} />
      </Field>
      <Field id="jira-feedback-jql" label="Feedback issues (JQL, optional)" error={problem?.fieldMessage("feedback_jql")}>
        <input id="jira-feedback-jql" value={feedbackJql} onInput={(e) => setFeedbackJql(e.currentTarget.value)} />
      </Field>
      <Field id="jira-roadmap-jql" label="Roadmap tickets (JQL, optional)" error={problem?.fieldMessage("roadmap_jql")}>
        <input id="jira-roadmap-jql" value={roadmapJql} onInput={(e) => setRoadmapJql(e.currentTarget.value)} />
      </Field>
      <FormEnd label="Save and check" busy={busy} problem={problem} />
    </ActionForm>
  );
}

function DriveFolders({ onSaved }: { onSaved: () => void }) {
  const [folders, setFolders] = useState("");
  const [allowRoot, setAllowRoot] = useState(false);
  const [result, setResult] = useState<string | null>(null);
  const { busy, problem, run } = useAction();
  return (
    <ActionForm
      run={run}
      action={async () => {
        const ids = folders.split(/[\s,]+/).filter(Boolean);
        const out = await ok(api.PUT("/integrations/google/folders", { body: { folder_ids: ids, allow_root: allowRoot } }));
        setResult(`${out.folder_ids.join(", ") || "none"}${out.documents_to_remove ? ` (${out.documents_to_remove} documents from removed folders will go)` : ""}`);
        onSaved();
      }}
    >
      <Field id="drive-folders" label="Drive folders to read" hint="Folder ids from the folder's address, separated by spaces; root reads the whole drive." error={problem?.fieldMessage("folder_ids")}>
        <input id="drive-folders" value={folders} onInput={(e) => setFolders(e.currentTarget.value)} />
      </Field>
      <label class="check small">
        <input type="checkbox" checked={allowRoot} onChange={(e) => setAllowRoot(e.currentTarget.checked)} /> Allow reading the whole drive (root)
      </label>
      <FormEnd label="Save folders" variant="secondary" busy={busy} problem={problem} status={result && `Saved: ${result}`} />
    </ActionForm>
  );
}
