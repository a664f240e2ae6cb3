// Competitive intelligence: competitors' moves scored against our own customers' evidence.
// Enter moves by hand, or let the model research competitors when one is configured.
import { useState } from "preact/hooks";
import { api, ok, type Schemas } from "../api/client";
import { setQuery, useLocation } from "../router";
import { can, me } from "../session";
import { useStore } from "../store";
import { useAction, useLoad } from "../ui/async";
import { acv, date } from "../ui/format";
import { Button, Empty, Field, GeneratedBy, ProblemNote, SeverityBadge } from "../ui/kit";

type Card = Schemas["CompetitiveInsightView"];

export function CompetitivePage() {
  const who = useStore(me);
  const { query } = useLocation();
  const competitor = query.get("competitor") ?? "";
  const cards = useLoad(
    (signal) => ok(api.GET("/competitive/insights", { params: { query: { competitor_name: competitor || undefined, limit: 100 } }, signal })),
    [competitor],
  );
  const all = useLoad((signal) => ok(api.GET("/competitive/insights", { params: { query: { limit: 100 } }, signal })), []);
  const names = [...new Set((all.data ?? []).map((c) => c.competitor_name))].sort();
  const reload = () => {
    cards.reload();
    all.reload();
  };
  return (
    <section class="page">
      <div class="page-head">
        <div>
          <h1>Competitive intelligence</h1>
          <p class="muted">Competitors' moves, scored by how many of our own customers ask for the same thing.</p>
        </div>
      </div>
      {can(who, "editor") && <Research onDone={reload} />}
      <div class="filters">
        <div class="select">
          <label for="competitor">Show</label>
          <select id="competitor" value={competitor} onChange={(e) => setQuery({ competitor: e.currentTarget.value })}>
            <option value="">All competitors</option>
            {names.map((n) => (
              <option value={n}>{n}</option>
            ))}
          </select>
        </div>
      </div>
      <ProblemNote problem={cards.error} onRetry={cards.reload} />
      {cards.data?.length === 0 && <Empty title="No competitive cards yet">Enter a competitor's moves above to see how they meet what your customers ask for.</Empty>}
      <div class="cards">
        {cards.data?.map((c) => (
          <CompetitiveCard key={c.id} card={c} />
        ))}
      </div>
    </section>
  );
}

function CompetitiveCard({ card: c }: { card: Card }) {
  return (
    <article class="card competitive">
      <header class="competitive-head">
        <span class="pscore" title="Priority score (0-100)">
          P{Math.round(c.priority_score)}
        </span>
        <div>
          <h2>{c.title}</h2>
          <div class="row-meta">
            <span class="chip">{c.competitor_name}</span>
            <SeverityBadge severity={c.severity} />
            <span class="muted small">{c.effort} effort</span>
            <GeneratedBy by={c.generated_by} />
          </div>
        </div>
      </header>
      <p>{c.description}</p>
      <p>
        <strong>Impact:</strong> {c.impact}
      </p>
      <p>
        <strong>Recommendation:</strong> {c.recommendation}
      </p>
      {c.customer_evidence && (
        <p class="note note-info small">
          Our customers ask for this too: {c.customer_evidence.title} — {c.customer_evidence.accounts} accounts, {acv(c.customer_evidence.total_acv)}, {c.customer_evidence.mentions_30d} mentions in 30 days.
        </p>
      )}
      {c.citations.length > 0 && (
        <details class="small">
          <summary>{c.citations.length} citation(s)</summary>
          <ol>
            {c.citations.map((ci, i) => (
              <li key={i}>
                {ci.url && /^https?:/.test(ci.url) ? (
                  <a href={ci.url} target="_blank" rel="noopener noreferrer">
                    {ci.title}
                  </a>
                ) : (
                  ci.title
                )}{" "}
                <span class="muted">
                  ({ci.source}
                  {ci.date ? `, ${date(ci.date)}` : ""})
                </span>
                <div>{ci.snippet}</div>
              </li>
            ))}
          </ol>
        </details>
      )}
    </article>
  );
}

function Research({ onDone }: { onDone: () => void }) {
  const [company, setCompany] = useState("");
  const [scope, setScope] = useState("");
  const [competitor, setCompetitor] = useState("");
  const [moves, setMoves] = useState("");
  const [session, setSession] = useState<Schemas["Session"] | null>(null);
  const manual = useAction();
  const auto = useAction();
  const submitManual = () =>
    manual.run(async () => {
      const list = moves
        .split("\n")
        .map((m) => m.trim())
        .filter(Boolean)
        .map((move) => ({ move }));
      const out = await ok(
        api.POST("/competitive/process-manual", {
          body: { company_name: company, market_scope: scope, target_personas: [], geo_segments: [], competitor_data: [{ name: competitor, moves: list }] },
        }),
      );
      setSession(out);
      onDone();
    });
  const submitAuto = () =>
    auto.run(async () => {
      const out = await ok(
        api.POST("/competitive/process-auto", {
          body: { company_name: company, market_scope: scope, competitor_names: competitor ? [competitor] : null },
        }),
      );
      setSession(out);
      onDone();
    });
  return (
    <form
      class="card form-grid"
      onSubmit={(e) => {
        e.preventDefault();
        submitManual();
      }}
    >
      <h2>Add competitor moves</h2>
      <Field id="cmp-company" label="Our company" error={manual.problem?.fieldMessage("company_name")}>
        <input id="cmp-company" required value={company} onInput={(e) => setCompany(e.currentTarget.value)} />
      </Field>
      <Field id="cmp-scope" label="Market" hint="e.g. B2B product analytics for mid-market SaaS" error={manual.problem?.fieldMessage("market_scope")}>
        <input id="cmp-scope" required value={scope} onInput={(e) => setScope(e.currentTarget.value)} />
      </Field>
      <Field id="cmp-name" label="Competitor">
        <input id="cmp-name" required value={competitor} onInput={(e) => setCompetitor(e.currentTarget.value)} />
      </Field>
      <Field id="cmp-moves" label="Their moves" hint="One per line: what they shipped or announced.">
        <textarea id="cmp-moves" rows={3} value={moves} onInput={(e) => setMoves(e.currentTarget.value)} />
      </Field>
      <div class="form-actions">
        <Button type="submit" variant="primary" busy={manual.busy}>
          Score these moves
        </Button>
        <Button busy={auto.busy} onClick={submitAuto} disabled={!company || !scope}>
          Let the model research
        </Button>
        {session && (
          <span class="muted small" role="status">
            {session.insights_generated.length} card(s) from {session.competitors_researched.join(", ") || "the research"}
            {session.fallback_reason ? ` (template: ${session.fallback_reason})` : ""}
          </span>
        )}
      </div>
      {manual.problem && !manual.problem.fields.length && <ProblemNote problem={manual.problem} />}
      {auto.problem && (
        <p class="note note-info small" role="alert">
          {auto.problem.code === "not_configured" ? "Automatic research needs a language model, and none is configured (ai_config.yaml). Enter the moves by hand instead." : auto.problem.message}
        </p>
      )}
    </form>
  );
}
