// One Jira ticket: how its VOC score is made, the insights behind it (confirm or reject a
// match and the score moves at once), the themes and quotes, and a PRD outline.
import type { ChartConfiguration } from "chart.js";
import { useMemo, useState } from "preact/hooks";
import { api, ok, type Schemas } from "../api/client";
import { Link, navigate } from "../router";
import { can, me } from "../session";
import { useStore } from "../store";
import { useAction, useLoad } from "../ui/async";
import { acv, count, date, pct, sourceName } from "../ui/format";
import { Button, Confirm, Metric, ProblemNote, Spinner } from "../ui/kit";
import { ChartView } from "../ui/Chart";
import { DraftPanel } from "../ui/DraftPanel";
import { BandChip, GapFlag, PRIORITIES, STATUSES } from "./Tickets";

type Voc = Schemas["VocView"];

export function TicketPage({ ticketKey }: { ticketKey: string }) {
  const who = useStore(me);
  const page = useLoad(
    (signal) =>
      Promise.all([
        ok(api.GET("/jira/tickets/{ticket_key}", { params: { path: { ticket_key: ticketKey } }, signal })),
        ok(api.GET("/tickets/{ticket_key}/score", { params: { path: { ticket_key: ticketKey } }, signal })),
      ]),
    [ticketKey],
  );
  const [voc, setVoc] = useState<Voc | null | undefined>(undefined);
  const [decisions, setDecisions] = useState<Record<string, number>>({});
  const decide = useAction();

  if (!page.data) {
    return (
      <section class="page">
        <p class="crumbs">
          <Link to="/tickets">← All tickets</Link>
        </p>
        {page.error ? <ProblemNote problem={page.error} onRetry={page.reload} /> : <Spinner label="Loading the ticket" />}
      </section>
    );
  }
  const [item, artifacts] = page.data;
  const t = item.ticket;
  const score = voc === undefined ? item.voc_score : voc;

  const confirm = (insightId: string, confirmed: boolean) =>
    decide.run(async () => {
      const out = await ok(
        api.POST("/jira/tickets/{ticket_key}/matches/{insight_id}/confirm", {
          params: { path: { ticket_key: t.jira_key, insight_id: insightId }, query: { confirmed } },
        }),
      );
      setVoc(out.voc_score ?? null);
      setDecisions({ ...decisions, [insightId]: out.is_confirmed });
    });

  return (
    <section class="page">
      <p class="crumbs">
        <Link to="/tickets">← All tickets</Link>
      </p>
      <header class="insight-head">
        <h1>
          <span class="mono">{t.jira_key}</span> {t.title}
        </h1>
        <div class="row-meta">
          <span class="chip">{t.status.replace("_", " ").toLowerCase()}</span>
          <span class="chip">priority {t.priority.toLowerCase()}</span>
          {t.assignee && <span class="muted small">Assignee {t.assignee}</span>}
          {t.jira_updated_at && <span class="muted small">Updated in Jira {date(t.jira_updated_at)}</span>}
        </div>
      </header>
      {can(who, "editor") && <TicketControls ticketKey={t.jira_key} status={t.status} priority={t.priority} onChanged={page.reload} />}
      {item.priority_gap && (
        <p class="note note-warn">
          <GapFlag gap={item.priority_gap} /> {item.priority_gap.message}
        </p>
      )}
      {score ? (
        <dl class="metrics" aria-label="VOC score">
          <div class="metric">
            <dt>VOC score</dt>
            <dd>
              <span data-testid="voc-score">{Math.round(score.voc_score)}</span> <BandChip band={score.recommended_priority} />
            </dd>
          </div>
          <Metric label="Customers" value={`${Math.round(score.customer_score)} · ${count(score.customer_count)}`} />
          <Metric label="ACV" value={`${Math.round(score.acv_score)} · ${acv(score.total_acv)}`} />
          <Metric label="Segments ENT/MM/SMB" value={`${Math.round(score.segment_score)} · ${score.ent_customer_count}/${score.mm_customer_count}/${score.smb_customer_count}`} />
          <Metric label="Feedback volume" value={`${Math.round(score.volume_score)} · ${count(score.feedback_volume)}`} />
        </dl>
      ) : (
        <p class="note note-info">Not scored yet: Recalculate all on the tickets page.</p>
      )}
      <div class="two-col">
        <div class="stack-lg">
          <section class="card">
            <h2>Insights behind it</h2>
            <ProblemNote problem={decide.problem} />
            {item.matched_insights.length === 0 && <p class="muted">No insight is similar enough yet.</p>}
            <ul class="matches">
              {item.matched_insights.map((m) => {
                const state = decisions[m.insight_id] ?? m.is_confirmed;
                return (
                  <li key={m.insight_id}>
                    <div>
                      <Link to={`/insights/${m.insight_id}`}>{m.insight_title}</Link>
                      <p class="muted small">
                        {pct(m.similarity_score)} similar · {m.confidence} confidence ·{" "}
                        {state === 1 ? "confirmed" : state === 0 ? "rejected" : m.included ? "counted" : "below the threshold"}
                      </p>
                    </div>
                    {can(who, "editor") && (
                      <div class="button-row">
                        <Button variant={state === 1 ? "primary" : "secondary"} onClick={() => confirm(m.insight_id, true)} aria-label={`Confirm ${m.insight_title}`}>
                          Confirm
                        </Button>
                        <Button variant={state === 0 ? "danger" : "ghost"} onClick={() => confirm(m.insight_id, false)} aria-label={`Reject ${m.insight_title}`}>
                          Reject
                        </Button>
                      </div>
                    )}
                  </li>
                );
              })}
            </ul>
          </section>
          <EvidenceOverTime matches={item.matched_insights.filter((m) => m.included || (decisions[m.insight_id] ?? m.is_confirmed) === 1)} />
          <section class="card">
            <h2>What customers say</h2>
            {artifacts.top_quotes.length === 0 && <p class="muted">No quotes yet.</p>}
            {artifacts.top_quotes.map((q) => (
              <blockquote class="quote" key={q.feedback_id}>
                <p>{q.text}</p>
                <p class="evidence-meta">
                  <span class="chip">{sourceName(q.source)}</span>
                  <span>{date(q.created_at)}</span>
                </p>
              </blockquote>
            ))}
          </section>
        </div>
        <aside class="stack-lg">
          <section class="card">
            <h2>Themes</h2>
            {artifacts.themes.length === 0 && <p class="muted">No themes matched.</p>}
            <ul class="customers">
              {artifacts.themes.map((th) => (
                <li key={th.id}>
                  <Link to={`/insights/${th.insight_id}`}>{th.label}</Link>
                  <span class="muted small">{pct(th.coverage)} coverage</span>
                  <span class="num">{th.score.toFixed(2)}</span>
                </li>
              ))}
            </ul>
          </section>
          <TicketPrd ticketKey={t.jira_key} />
          <section class="card">
            <h2>Description</h2>
            <p class="prewrap">{t.description || "No description."}</p>
          </section>
        </aside>
      </div>
    </section>
  );
}

const COLOURS = ["#4338ca", "#b45309", "#047857", "#be185d", "#0369a1"];

/** The weekly mentions of the insights counted in the score, one line each. */
function EvidenceOverTime({ matches }: { matches: Schemas["MatchView"][] }) {
  const shown = matches.slice(0, 5);
  const timelines = useLoad(
    (signal) =>
      Promise.all(shown.map((m) => ok(api.GET("/themes/{insight_id}/timeline", { params: { path: { insight_id: m.insight_id }, query: { bucket: "week", periods: 12 } }, signal })))),
    [shown.map((m) => m.insight_id).join()],
  );
  const config = useMemo<ChartConfiguration | null>(() => {
    const data = timelines.data;
    if (!data?.length) return null;
    return {
      type: "line",
      data: {
        labels: data[0].buckets.map((w) => new Date(w.start).toLocaleDateString("en-US", { month: "short", day: "numeric", timeZone: "UTC" })),
        datasets: data.map((t, i) => ({
          label: shown[i].insight_title.length > 40 ? `${shown[i].insight_title.slice(0, 38)}…` : shown[i].insight_title,
          data: t.buckets.map((w) => w.mentions),
          borderColor: COLOURS[i],
          backgroundColor: COLOURS[i],
          tension: 0.3,
          pointRadius: 2,
        })),
      },
      options: { plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: "mentions" } } } },
    };
  }, [timelines.data]);
  if (!shown.length) return null;
  return (
    <section class="card">
      <h2>Evidence over time</h2>
      <ProblemNote problem={timelines.error} />
      {config && timelines.data && (
        <ChartView config={config} height={220} label={`Weekly mentions of the ${shown.length} insights behind this ticket`}>
          <table class="sr-only">
            <caption>Weekly mentions, oldest first</caption>
            <tbody>
              {timelines.data.map((t, i) => (
                <tr key={t.insight_id}>
                  <th scope="row">{shown[i].insight_title}</th>
                  <td>{t.buckets.map((w) => w.mentions).join(", ")}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </ChartView>
      )}
    </section>
  );
}


function TicketPrd({ ticketKey }: { ticketKey: string }) {
  return (
    <DraftPanel
      heading="PRD outline"
      filename={`prd-${ticketKey.toLowerCase()}.md`}
      draft={async () => {
        const out = await ok(api.POST("/tickets/{ticket_key}/draft_prd", { params: { path: { ticket_key: ticketKey } } }));
        return { markdown: out.prd_markdown };
      }}
    />
  );
}

function TicketControls({ ticketKey, status, priority, onChanged }: { ticketKey: string; status: string; priority: string; onChanged: () => void }) {
  const [confirming, setConfirming] = useState(false);
  const change = useAction();
  const patch = (body: Schemas["TicketPatchIn"]) =>
    change.run(async () => {
      await ok(api.PATCH("/jira/tickets/{ticket_key}", { params: { path: { ticket_key: ticketKey } }, body }));
      onChanged();
    });
  const remove = () =>
    change.run(async () => {
      await ok(api.DELETE("/jira/tickets/{ticket_key}", { params: { path: { ticket_key: ticketKey } } }));
      navigate("/tickets");
    });
  return (
    <div class="filters ticket-controls">
      <div class="select">
        <label for="ticket-edit-status">Status</label>
        <select id="ticket-edit-status" value={status} onChange={(e) => patch({ status: e.currentTarget.value })}>
          {STATUSES.map((s) => (
            <option value={s}>{s.replace("_", " ").toLowerCase()}</option>
          ))}
        </select>
      </div>
      <div class="select">
        <label for="ticket-edit-priority">Priority</label>
        <select id="ticket-edit-priority" value={priority} onChange={(e) => patch({ priority: e.currentTarget.value })}>
          {PRIORITIES.map((p) => (
            <option value={p}>{p.toLowerCase()}</option>
          ))}
        </select>
      </div>
      <div class="confirm">
        {confirming ? (
          <Confirm question="Delete this ticket and its score?" action="Delete" busy={change.busy} onConfirm={remove} onCancel={() => setConfirming(false)} />
        ) : (
          <Button variant="ghost" onClick={() => setConfirming(true)}>
            Delete ticket
          </Button>
        )}
      </div>
      <ProblemNote problem={change.problem} />
    </div>
  );
}
