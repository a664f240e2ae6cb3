// One insight and the evidence behind it: what customers say, who they are, how often,
// and what to do next (a PRD, a prototype prompt, a question to the copilot).
import type { ChartConfiguration } from "chart.js";
import { useEffect, useMemo, useState } from "preact/hooks";
import { api, choice, ok, type Query, type Schemas } from "../api/client";
import { copilotInsight, copilotOpen } from "../copilot/Copilot";
import { Link } from "../router";
import { useAction, useLoad } from "../ui/async";
import { Quote } from "../ui/evidence";
import { acv, count, date, plural, sentimentWord, trendWord } from "../ui/format";
import { Button, copyText, Empty, GeneratedBy, ProblemNote, SegmentChip, SeverityBadge, Spinner, Metric, OffsetPager } from "../ui/kit";
import { ChartView } from "../ui/Chart";
import { DraftPanel } from "../ui/DraftPanel";
import { can, me } from "../session";
import { useStore } from "../store";
import { CurateCard, CurationBadges, DoneNote, EditText, SelectionBar, type Done } from "./Curate";
import { JiraCard } from "./JiraPush";

const SUPPORTING = 10;

export function InsightPage({ id }: { id: string }) {
  const [supportingOffset, setSupportingOffset] = useState(0);
  const [bucket, setBucket] = useState<Bucket>("week");
  const page = useLoad(
    (signal) =>
      Promise.all([
        ok(api.GET("/themes/{insight_id}", { params: { path: { insight_id: id }, query: { supporting_limit: SUPPORTING, supporting_offset: supportingOffset } }, signal })),
        ok(api.GET("/themes/{insight_id}/timeline", { params: { path: { insight_id: id }, query: { bucket } }, signal })),
      ]),
    [id, supportingOffset, bucket],
  );
  useEffect(() => {
    copilotInsight.set(page.data ? { id, title: page.data[0].title } : null);
  }, [id, page.data?.[0]?.title]);
  const editor = can(useStore(me), "editor");
  const [done, setDone] = useState<Done | null>(null);
  const [editing, setEditing] = useState(false);
  const [selected, setSelected] = useState<string[]>([]);
  useEffect(() => {
    setDone(null);
    setEditing(false);
    setSelected([]);
  }, [id]);
  const changed = (d: Done | null) => {
    setDone(d);
    setEditing(false);
    setSelected([]);
    page.reload();
  };
  const selectable = (fid: string) =>
    editor ? { checked: selected.includes(fid), onToggle: () => setSelected((s) => (s.includes(fid) ? s.filter((x) => x !== fid) : [...s, fid])) } : undefined;

  if (page.error && !page.data) {
    return (
      <section class="page">
        <p>
          <Link to="/">← All insights</Link>
        </p>
        <ProblemNote problem={page.error} onRetry={page.reload} />
      </section>
    );
  }
  if (!page.data) {
    return (
      <section class="page">
        <Spinner label="Loading the insight" />
      </section>
    );
  }
  const [insight, timeline] = page.data;
  const m = insight.metrics;
  return (
    <section class="page insight">
      <p class="crumbs">
        <Link to="/">← All insights</Link>
      </p>
      <header class="insight-head">
        <h1>{insight.title}</h1>
        <div class="row-meta">
          <SeverityBadge severity={insight.severity} />
          <span class="chip">Priority {insight.priority_score}</span>
          <span class="chip">{insight.effort} effort</span>
          <GeneratedBy by={insight.generated_by} />
          <CurationBadges insight={insight} />
          <span class="muted small">Updated {date(insight.updated_at)}</span>
        </div>
        <div class="insight-actions">
          <Button
            onClick={() => {
              copilotInsight.set({ id, title: insight.title });
              copilotOpen.set(true);
            }}
          >
            Ask the copilot about this
          </Button>
          <a class="btn btn-secondary" href={`/themes/${encodeURIComponent(id)}/export.md`} download>
            Export .md
          </a>
        </div>
      </header>

      {done && <DoneNote key={done.auditId} done={done} onUndone={page.reload} />}
      <dl class="metrics">
        <Metric label="Evidence score" value={m ? m.score.toFixed(2) : "—"} />
        <Metric label="Feedback items" value={count(insight.feedback_count)} />
        <Metric label="Accounts, last 30 days" value={count(m?.freq_30d)} />
        <Metric label="Accounts, last 90 days" value={count(m?.freq_90d)} />
        <Metric label="ACV behind it" value={acv(insight.total_acv)} />
        <Metric label="Sentiment" value={m ? sentimentWord(m.sentiment) : "—"} />
        <Metric label="Trend" value={m ? trendWord(m.trend) : "—"} />
      </dl>

      <div class="two-col">
        <div class="stack-lg">
          <section class="card">
            <div class="card-head">
              <h2>What customers say</h2>
              {editor && !editing && (
                <Button variant="ghost" onClick={() => setEditing(true)}>
                  Edit wording
                </Button>
              )}
            </div>
            {editing ? (
              <EditText insight={insight} onDone={changed} onCancel={() => setEditing(false)} />
            ) : (
              <>
                <p>{insight.description}</p>
                <h3>Impact</h3>
                <p>{insight.impact}</p>
                <h3>Recommendation</h3>
                <p>{insight.recommendation}</p>
              </>
            )}
          </section>
          <section class="card">
            <div class="timeline-head">
              <h2>Mentions over time</h2>
              <div class="segmented" role="group" aria-label="Period">
                {BUCKETS.map(([value, label]) => (
                  <button key={value} type="button" aria-pressed={bucket === value} onClick={() => setBucket(value)}>
                    {label}
                  </button>
                ))}
              </div>
            </div>
            <TimelineChart timeline={timeline} />
          </section>
          <SelectionBar insight={insight} selected={selected} onDone={changed} onClear={() => setSelected([])} />
          <section class="card">
            <h2>Key quotes</h2>
            {insight.key_quotes.length === 0 && <p class="muted">No quotes yet.</p>}
            {insight.key_quotes.map((q) => (
              <Quote key={q.id} f={q} id={`quote-${q.id}`} confidence={q.confidence} select={selectable(q.id)} />
            ))}
          </section>
          <section class="card">
            <h2>Supporting feedback</h2>
            {insight.supporting_feedback.map((q) => (
              <Quote key={q.id} f={q} id={`quote-${q.id}`} confidence={q.confidence} select={selectable(q.id)} />
            ))}
            {insight.supporting_feedback.length === 0 && <p class="muted">Nothing beyond the key quotes.</p>}
            <OffsetPager offset={supportingOffset} page={SUPPORTING} shown={insight.supporting_feedback.length} onChange={setSupportingOffset} label="Supporting feedback pages" />
          </section>
        </div>
        <aside class="stack-lg">
          <section class="card">
            <h2>Customers</h2>
            {insight.customers.length === 0 && <p class="muted">No named accounts.</p>}
            <ul class="customers">
              {insight.customers.map((c) => (
                <li key={c.id}>
                  <span>{c.name}</span>
                  <SegmentChip segment={c.segment} />
                  <span class="num">{acv(c.acv)}</span>
                </li>
              ))}
            </ul>
          </section>
          {editor && <CurateCard insight={insight} onDone={changed} />}
          <JiraCard id={id} links={insight.jira_issues} editor={editor} onPushed={page.reload} />
          <PrdCard id={id} title={insight.title} />
          <PromptCard id={id} />
        </aside>
      </div>
    </section>
  );
}


type Bucket = Schemas["Bucket"];
const BUCKETS: [Bucket, string][] = [
  ["day", "Days"],
  ["week", "Weeks"],
  ["month", "Months"],
];
const SPAN: Record<Bucket, string> = { day: "day", week: "week", month: "month" };

function periodLabel(start: string, bucket: Bucket): string {
  const d = new Date(start);
  return bucket === "month" ? d.toLocaleDateString("en-US", { month: "short", year: "numeric", timeZone: "UTC" }) : d.toLocaleDateString("en-US", { month: "short", day: "numeric", timeZone: "UTC" });
}

function TimelineChart({ timeline }: { timeline: Schemas["Timeline"] }) {
  const { buckets, bucket } = timeline;
  const span = SPAN[bucket];
  const total = buckets.reduce((n, w) => n + w.mentions, 0);
  const config = useMemo<ChartConfiguration>(
    () => ({
      type: "bar",
      data: {
        labels: buckets.map((w) => periodLabel(w.start, bucket)),
        datasets: [
          { type: "bar", label: "Mentions", data: buckets.map((w) => w.mentions), backgroundColor: "#818cf8", borderRadius: 3, yAxisID: "y" },
          { type: "line", label: "ACV of the accounts", data: buckets.map((w) => w.acv), borderColor: "#b45309", backgroundColor: "#b45309", pointRadius: 2, yAxisID: "acv" },
        ],
      },
      options: {
        plugins: { legend: { position: "bottom" }, tooltip: { callbacks: { label: (c) => (c.datasetIndex === 1 ? `ACV ${acv(Number(c.raw))}` : `${c.raw} mentions`) } } },
        scales: {
          y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: "mentions" } },
          acv: { position: "right", beginAtZero: true, grid: { display: false }, ticks: { callback: (v) => acv(Number(v)) } },
        },
      },
    }),
    [timeline],
  );
  const trend = <p class="small">Trend now: <strong>{trendWord(timeline.trend.momentum)}</strong>{timeline.trend.rising ? " (listed under Rising on the board)" : ""}.</p>;
  if (total === 0)
    return (
      <>
        <Empty title={`No mentions in the last ${buckets.length} ${span}s`}>{timeline.earlier_mentions > 0 && <p>{plural(timeline.earlier_mentions, "mention")} before that.</p>}</Empty>
        {trend}
      </>
    );
  return (
    <ChartView config={config} height={220} label={`Mentions per ${span} over ${buckets.length} ${span}s: ${total} in all`}>
      <figcaption id="timeline-caption" class="muted small">
        Mentions per {span} over {buckets.length} {span}s ({plural(total, "mention")}
        {timeline.earlier_mentions ? `, ${count(timeline.earlier_mentions)} earlier` : ""}) and the ACV of the accounts behind them.
      </figcaption>
      {trend}
      <table class="sr-only">
        <caption>Mentions and ACV per {span}</caption>
        <thead>
          <tr>
            <th>{span === "day" ? "Day" : `${span[0].toUpperCase()}${span.slice(1)} of`}</th>
            <th>Mentions</th>
            <th>Accounts</th>
            <th>ACV</th>
          </tr>
        </thead>
        <tbody>
          {buckets.map((wk) => (
            <tr key={wk.start}>
              <td>{date(wk.start)}</td>
              <td>{wk.mentions}</td>
              <td>{wk.accounts}</td>
              <td>{acv(wk.acv)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </ChartView>
  );
}

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "").slice(0, 60) || "insight";
}

function PrdCard({ id, title }: { id: string; title: string }) {
  return (
    <DraftPanel
      key={id}
      heading="Draft PRD"
      intro="A thirteen-section PRD from this insight's customers, metrics and quotes."
      filename={`prd-${slug(title)}.md`}
      draft={async () => {
        const prd = await ok(api.GET("/themes/{insight_id}/generate-prd", { params: { path: { insight_id: id } } }));
        return { markdown: prd.prd_markdown, generatedBy: prd.generated_by, reason: prd.fallback_reason, cached: prd.cached };
      }}
    />
  );
}

const PROTOTYPES: [NonNullable<Query<"/themes/{insight_id}/generate-ai-prompt">["prototype_type"]>, string][] = [
  ["mvp", "MVP"],
  ["ui_component", "UI component"],
  ["feature_flow", "Feature flow"],
  ["technical_poc", "Technical proof of concept"],
];

function PromptCard({ id }: { id: string }) {
  const [type, setType] = useState("mvp");
  const [prompt, setPrompt] = useState<Schemas["PromptOut"] | null>(null);
  const { busy, problem, run } = useAction();
  const [copied, setCopied] = useState(false);
  useEffect(() => setPrompt(null), [id]);
  const generate = () =>
    run(async () => {
      setCopied(false);
      setPrompt(await ok(api.GET("/themes/{insight_id}/generate-ai-prompt", { params: { path: { insight_id: id }, query: { prototype_type: choice(type, PROTOTYPES.map(([v]) => v)) } } })));
    });
  return (
    <section class="card">
      <h2>AI prototype prompt</h2>
      <div class="select">
        <label for="prototype-type">Prototype</label>
        <select id="prototype-type" value={type} onChange={(e) => setType(e.currentTarget.value)}>
          {PROTOTYPES.map(([v, l]) => (
            <option value={v}>{l}</option>
          ))}
        </select>
      </div>
      <div class="button-row">
        <Button onClick={generate} busy={busy}>
          Write prompt
        </Button>
        {prompt && <Button onClick={async () => setCopied(await copyText(prompt.prompt))}>{copied ? "Copied" : "Copy prompt"}</Button>}
      </div>
      <ProblemNote problem={problem} />
      {prompt && (
        <>
          <p class="small">
            <GeneratedBy by={prompt.generated_by} /> · Suggested tool: <strong>{prompt.recommended_tool}</strong>
          </p>
          <pre class="prompt">{prompt.prompt}</pre>
        </>
      )}
    </section>
  );
}
