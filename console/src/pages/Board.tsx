// The insights board: what customers need most, by evidence. Every filter lives in the
// address, so a board can be shared as a link.
import { useState } from "preact/hooks";
import { api, choice, ok, type Insight, type Query, type Schemas } from "../api/client";
import { Link, navigate, setQuery, useLocation } from "../router";
import { can, me } from "../session";
import { useStore } from "../store";
import { useLoad } from "../ui/async";
import { acv, count, plural } from "../ui/format";
import { Empty, Highlighted, ProblemNote, SegmentChip, SeverityBadge, Sparkline, OffsetPager } from "../ui/kit";
import { ThemeMap, Trends } from "./BoardPictures";
import { ClusterControl } from "./clustering";

const PAGE = 20;
type ThemeQuery = Query<"/themes">;
const QUICK: [NonNullable<ThemeQuery["filter"]> | "", string][] = [
  ["", "All insights"],
  ["enterprise_blockers", "Enterprise blockers"],
  ["high_priority", "High priority"],
  ["trending", "Trending"],
  ["rising", "Rising"],
  ["new_this_week", "New this week"],
];
const SORTS: [NonNullable<ThemeQuery["sort_by"]>, string][] = [
  ["priority", "Priority"],
  ["score", "Evidence score"],
  ["trend", "Trend"],
  ["created_at", "Newest"],
];

export function BoardPage() {
  const { query } = useLocation();
  const filter = query.get("filter") ?? "";
  const sort = query.get("sort") ?? "priority";
  const severity = query.get("severity") ?? "";
  const segment = query.get("segment") ?? "";
  const effort = query.get("effort") ?? "";
  const offset = Math.max(0, Number(query.get("offset") ?? 0) || 0);
  const hidden = query.get("hidden") === "1";

  const board = useLoad(
    (signal) =>
      Promise.all([
        ok(
          api.GET("/themes", {
            params: {
              query: {
                limit: PAGE,
                offset,
                sort_by: choice(sort, SORTS.map(([v]) => v)),
                filter: choice(filter, QUICK.map(([v]) => v).filter((v) => v !== "")),
                severity: severity || undefined,
                segments: segment || undefined,
                effort: effort || undefined,
                include_hidden: hidden || undefined,
              },
            },
            signal,
          }),
        ),
        ok(api.GET("/themes/filter-counts", { signal })),
        ok(api.GET("/cluster/status", { signal })),
      ]),
    [filter, sort, severity, segment, effort, offset, hidden],
  );
  const [insights, counts, status] = board.data ?? [];
  // The same query as the page, so the file holds what the PM sees.
  const exported = new URLSearchParams({ limit: String(PAGE), offset: String(offset), sort_by: sort });
  for (const [key, value] of [["filter", filter], ["severity", severity], ["segments", segment], ["effort", effort], ["include_hidden", hidden ? "true" : ""]]) {
    if (value) exported.set(key, value);
  }
  const filtered = !!(filter || severity || segment || effort || hidden);
  const view = query.get("view") ?? "list";

  return (
    <section class="page">
      <div class="page-head">
        <div>
          <h1>Insights</h1>
          <p class="muted">What customers ask for, ranked by the evidence behind it.</p>
        </div>
        <div class="button-row">
          <a class="btn btn-secondary" href={`/themes/export.csv?${exported}`} download>
            Export CSV
          </a>
          <ClusterControl status={status} onDone={board.reload} />
        </div>
      </div>
      <SearchBox />
      <div class="quick-filters" role="group" aria-label="Quick filters">
        {QUICK.map(([key, label]) => {
          const n = key ? counts?.[key as keyof Schemas["FilterCounts"]] : undefined;
          return (
            <button
              type="button"
              class={`pill ${filter === key ? "pill-on" : ""}`}
              aria-pressed={filter === key}
              onClick={() => setQuery({ filter: key, offset: null })}
            >
              {label}
              {n !== undefined && <span class="pill-count">{n}</span>}
            </button>
          );
        })}
      </div>
      <div class="filters">
        <Select id="severity" label="Severity" value={severity} options={[["", "Any"], ["critical", "Critical"], ["high", "High"], ["medium", "Medium"], ["low", "Low"]]} onChange={(v) => setQuery({ severity: v, offset: null })} />
        <Select id="segment" label="Segment" value={segment} options={[["", "Any"], ["ENT", "Enterprise"], ["MM", "Mid-market"], ["SMB", "SMB"]]} onChange={(v) => setQuery({ segment: v, offset: null })} />
        <Select id="effort" label="Effort" value={effort} options={[["", "Any"], ["low", "Low"], ["medium", "Medium"], ["high", "High"]]} onChange={(v) => setQuery({ effort: v, offset: null })} />
        <Select id="sort" label="Sort by" value={sort} options={SORTS} onChange={(v) => setQuery({ sort: v === "priority" ? null : v, offset: null })} />
        <label class="check">
          <input type="checkbox" checked={hidden} onChange={(e) => setQuery({ hidden: e.currentTarget.checked ? "1" : null, offset: null })} />
          Show hidden insights
        </label>
      </div>
      <div class="tabs" role="tablist" aria-label="Board views">
        {[
          ["list", "List"],
          ["map", "Theme map"],
          ["trends", "Trends"],
        ].map(([key, label]) => (
          <button key={key} type="button" role="tab" aria-selected={view === key} class={`tab ${view === key ? "tab-on" : ""}`} onClick={() => setQuery({ view: key === "list" ? null : key })}>
            {label}
          </button>
        ))}
      </div>
      <ProblemNote problem={board.error} onRetry={board.reload} />
      {view === "map" && <ThemeMap />}
      {view === "trends" && insights && <Trends insights={insights} />}
      <div class={`board ${board.loading ? "is-loading" : ""}`} aria-busy={board.loading}>
        <div class="board-head" aria-hidden="true">
          <span>Insight</span>
          <span>Priority</span>
          <span>Feedback</span>
          <span>Accounts</span>
          <span>ACV</span>
          <span>12 weeks</span>
        </div>
        {!insights && !board.error && Array.from({ length: 6 }, (_, i) => <div key={i} class="board-row skeleton" />)}
        {insights?.map((i) => <BoardRow key={i.id} insight={i} />)}
        {insights && insights.length === 0 && (filtered || offset ? <Empty title="No insights match these filters">
          <button type="button" class="linklike" onClick={() => navigate("/")}>Clear the filters</button>
        </Empty> : <EmptyWorkspace onClustered={board.reload} />)}
      </div>
      {insights && <OffsetPager offset={offset} page={PAGE} shown={insights.length} onChange={(o) => setQuery({ offset: o ? String(o) : null })} />}
    </section>
  );
}

function BoardRow({ insight: i }: { insight: Insight }) {
  const shown = i.customers.slice(0, 3);
  const weekly = i.metrics?.weekly_counts ?? [];
  return (
    <article class="board-row">
      <div class="cell-title">
        <Link to={`/insights/${i.id}`} class="row-link">
          {i.title}
        </Link>
        <div class="row-meta">
          <SeverityBadge severity={i.severity} />
          <span class="muted small">{i.effort} effort</span>
          {i.pinned && <span class="chip chip-pinned">Pinned</span>}
          {i.hidden && <span class="chip chip-hidden">Hidden</span>}
        </div>
      </div>
      <div class="cell-num" data-label="Priority">
        <span class={`priority ${i.priority_score >= 70 ? "priority-high" : i.priority_score >= 40 ? "priority-mid" : "priority-low"}`}>
          {i.priority_score}
        </span>
      </div>
      <div class="cell-num" data-label="Feedback">
        {count(i.feedback_count)}
      </div>
      <div class="cell-accounts" data-label="Accounts">
        {shown.map((c) => (
          <span class="account" key={c.id}>
            {c.name} <SegmentChip segment={c.segment} />
          </span>
        ))}
        {i.customers.length > shown.length && <span class="muted small">+{i.customers.length - shown.length} more</span>}
        {i.customers.length === 0 && <span class="muted small">No named accounts</span>}
      </div>
      <div class="cell-num" data-label="ACV">
        {acv(i.total_acv)}
      </div>
      <div class="cell-spark" data-label="12 weeks">
        <Sparkline values={weekly} label={`Weekly mentions of ${i.title}`} />
      </div>
    </article>
  );
}

function EmptyWorkspace({ onClustered }: { onClustered: () => void }) {
  const who = useStore(me);
  const sources = useLoad((signal) => ok(api.GET("/ingest/sources/summary", { signal })), []);
  const items = sources.data?.sources.reduce((n, s) => n + s.count, 0) ?? 0;
  if (items > 0) {
    return (
      <Empty title="Your feedback is waiting to be clustered">
        <p>
          {plural(items, "feedback item")} {items === 1 ? "is" : "are"} in. Run clustering to group {items === 1 ? "it" : "them"} into themes with an insight each.
        </p>
        {can(who, "editor") ? <ClusterControl onDone={onClustered} /> : <p>Ask an editor to run clustering.</p>}
      </Empty>
    );
  }
  return (
    <Empty title="No insights yet">
      <p>ProduckAI builds insights from customer feedback. Load some, then run clustering.</p>
      <ul class="steps">
        {can(who, "editor") && (
          <li>
            <Link to="/upload">Upload feedback files</Link> (CSV, PDF, Word, text, Markdown, subtitles or audio).
          </li>
        )}
        <li>
          Or load the demo data on the server: <code>produck-api seed-demo</code> (64 items from 8 accounts).
        </li>
      </ul>
    </Empty>
  );
}

function Select({ id, label, value, options, onChange }: { id: string; label: string; value: string; options: [string, string][]; onChange: (v: string) => void }) {
  return (
    <div class="select">
      <label for={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => onChange(e.currentTarget.value)}>
        {options.map(([v, l]) => (
          <option value={v}>{l}</option>
        ))}
      </select>
    </div>
  );
}

/** Search over feedback and insights, with the matches highlighted. */
function SearchBox() {
  const [q, setQ] = useState("");
  const [submitted, setSubmitted] = useState("");
  const hits = useLoad(
    (signal) => (submitted ? ok(api.GET("/search", { params: { query: { q: submitted, limit: 8 } }, signal })) : Promise.resolve(undefined)),
    [submitted],
  );
  return (
    <div class="search">
      <form
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          setSubmitted(q.trim());
        }}
      >
        <label for="search" class="sr-only">
          Search feedback and insights
        </label>
        <input id="search" type="search" placeholder="Search feedback and insights…" value={q} onInput={(e) => {
          setQ(e.currentTarget.value);
          if (!e.currentTarget.value) setSubmitted("");
        }} />
        <button type="submit" class="btn btn-secondary">
          Search
        </button>
      </form>
      <ProblemNote problem={hits.error} />
      {submitted && hits.data && (
        <div class="search-results" aria-live="polite">
          <p class="muted small">{hits.data.length ? plural(hits.data.length, "match", "matches") + ` for “${submitted}”` : `Nothing matches “${submitted}”.`}</p>
          <ul>
            {hits.data.map((h) => (
              <li key={`${h.type}-${h.id}`}>
                <span class="chip">{h.type}</span>{" "}
                {h.type === "insight" ? <Link to={`/insights/${h.id}`}>{h.title}</Link> : <strong>{h.title}</strong>}
                <p class="snippet">
                  <Highlighted text={h.snippet} />
                </p>
              </li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}
