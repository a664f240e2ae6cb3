// Everything customers said, newest first: filter by source, search, page by cursor,
// delete (editors); chunked documents read back whole.
import { useState } from "preact/hooks";
import { api, choice, ok, type Feedback, type Query } from "../api/client";
import { Link, setQuery, useLocation } from "../router";
import { can, me } from "../session";
import { useStore } from "../store";
import { useAction, useLoad } from "../ui/async";
import { Quote, webLink } from "../ui/evidence";
import { count, date, plural, SOURCE_NAMES, sourceName } from "../ui/format";
import { Button, Confirm, Empty, EvidenceList, Highlighted, OffsetPager, ProblemNote, Spinner } from "../ui/kit";

const PAGE = 25;

/** The sources a list can be filtered by, as the spec names them. */
const SOURCES = Object.keys(SOURCE_NAMES) as NonNullable<Query<"/feedback">["source"]>[];

export function FeedbackPage({ documentId }: { documentId?: string }) {
  const { query } = useLocation();
  const view = query.get("view") === "documents" ? "documents" : "items";
  if (documentId) return <DocumentView id={documentId} />;
  return (
    <section class="page">
      <div class="page-head">
        <div>
          <h1>Feedback</h1>
          <p class="muted">Every message, ticket, document and transcript ProduckAI has read.</p>
        </div>
      </div>
      <div class="tabs" role="tablist" aria-label="Feedback views">
        <button type="button" role="tab" aria-selected={view === "items"} class={`tab ${view === "items" ? "tab-on" : ""}`} onClick={() => setQuery({ view: null, cursor: null })}>
          All items
        </button>
        <button type="button" role="tab" aria-selected={view === "documents"} class={`tab ${view === "documents" ? "tab-on" : ""}`} onClick={() => setQuery({ view: "documents", cursor: null })}>
          Documents
        </button>
      </div>
      {view === "items" ? <Items /> : <Documents />}
    </section>
  );
}

function SourceFilter({ value }: { value: string }) {
  return (
    <div class="select">
      <label for="source">Source</label>
      <select id="source" value={value} onChange={(e) => setQuery({ source: e.currentTarget.value, cursor: null, offset: null })}>
        <option value="">All sources</option>
        {Object.entries(SOURCE_NAMES).map(([v, l]) => (
          <option value={v}>{l}</option>
        ))}
      </select>
    </div>
  );
}

function Items() {
  const { query } = useLocation();
  const source = query.get("source") ?? "";
  const cursor = query.get("cursor") ?? "";
  const [trail, setTrail] = useState<string[]>([]);
  const [removed, setRemoved] = useState<Set<string>>(new Set());
  const page = useLoad(async (signal) => {
    const { data, error, response } = await api.GET("/feedback", {
      params: { query: { limit: PAGE, source: choice(source, SOURCES), cursor: cursor || undefined } },
      signal,
    });
    const items = await ok(Promise.resolve({ data, error, response }));
    return { items, next: response.headers.get("x-next-cursor") };
  }, [source, cursor]);
  const items = page.data?.items.filter((f) => !removed.has(f.id));
  return (
    <>
      <div class="filters">
        <SourceFilter value={source} />
      </div>
      <FeedbackSearch />
      <ProblemNote problem={page.error} onRetry={page.reload} />
      {!page.data && !page.error && <Spinner label="Loading feedback" />}
      {items && items.length === 0 && <Empty title={source ? `No ${sourceName(source)} feedback` : "No feedback yet"}>{!source && <p>Upload files or connect a source to bring feedback in.</p>}</Empty>}
      {items && (
        <EvidenceList>
          {items.map((f) => (
            <FeedbackRow key={f.id} f={f} onDeleted={() => setRemoved(new Set(removed).add(f.id))} />
          ))}
        </EvidenceList>
      )}
      {page.data && (cursor || page.data.next) && (
        <nav class="pager" aria-label="Pages">
          <Button
            disabled={!cursor}
            onClick={() => {
              const prev = trail.slice(0, -1);
              setTrail(prev);
              setQuery({ cursor: trail[trail.length - 1] || null });
            }}
          >
            Newer
          </Button>
          <Button
            disabled={!page.data.next}
            onClick={() => {
              setTrail([...trail, cursor]);
              setQuery({ cursor: page.data!.next });
            }}
          >
            Older
          </Button>
        </nav>
      )}
    </>
  );
}

function FeedbackRow({ f, onDeleted }: { f: Feedback; onDeleted: () => void }) {
  const who = useStore(me);
  const [confirming, setConfirming] = useState(false);
  const { busy, problem, run } = useAction();
  const remove = () =>
    run(async () => {
      await ok(api.DELETE("/feedback/{id}", { params: { path: { id: f.id } } }));
      onDeleted();
    });
  return (
    <li class="evidence-row">
      <Quote f={f} />
      {can(who, "editor") && (
        <div class="row-actions">
          {confirming ? (
            <Confirm question="Delete this item? Themes are updated at the next clustering." action="Delete" busy={busy} onConfirm={remove} onCancel={() => setConfirming(false)} />
          ) : (
            <Button variant="ghost" onClick={() => setConfirming(true)} aria-label={`Delete feedback from ${f.account ?? sourceName(f.source)} on ${date(f.created_at)}`}>
              Delete
            </Button>
          )}
        </div>
      )}
      <ProblemNote problem={problem} />
    </li>
  );
}

function FeedbackSearch() {
  const [q, setQ] = useState("");
  const [submitted, setSubmitted] = useState("");
  const hits = useLoad(
    (signal) => (submitted ? ok(api.GET("/search", { params: { query: { q: submitted, limit: 20 } }, signal })) : Promise.resolve(undefined)),
    [submitted],
  );
  const feedbackHits = hits.data?.filter((h) => h.type === "feedback");
  return (
    <div class="search">
      <form role="search" onSubmit={(e) => { e.preventDefault(); setSubmitted(q.trim()); }}>
        <label for="feedback-search" class="sr-only">Search feedback</label>
        <input id="feedback-search" type="search" placeholder="Search feedback…" value={q} onInput={(e) => { setQ(e.currentTarget.value); if (!e.currentTarget.value) setSubmitted(""); }} />
        <button type="submit" class="btn btn-secondary">Search</button>
      </form>
      <ProblemNote problem={hits.error} />
      {submitted && feedbackHits && (
        <div class="search-results" aria-live="polite">
          <p class="muted small">{feedbackHits.length ? `${plural(feedbackHits.length, "item")} match “${submitted}”` : `No feedback matches “${submitted}”.`}</p>
          <ul>
            {feedbackHits.map((h) => (
              <li key={h.id}>
                <strong>{h.title}</strong>
                <p class="snippet"><Highlighted text={h.snippet} /></p>
              </li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}

function Documents() {
  const { query } = useLocation();
  const source = query.get("source") ?? "";
  const offset = Math.max(0, Number(query.get("offset") ?? 0) || 0);
  const docs = useLoad((signal) => ok(api.GET("/feedback/documents", { params: { query: { limit: PAGE, offset, source: choice(source, SOURCES) } }, signal })), [source, offset]);
  return (
    <>
      <div class="filters">
        <SourceFilter value={source} />
      </div>
      <ProblemNote problem={docs.error} onRetry={docs.reload} />
      {!docs.data && !docs.error && <Spinner label="Loading documents" />}
      {docs.data?.length === 0 && <Empty title="No documents">Google Docs, Zoom transcripts and uploaded files appear here, each as one document.</Empty>}
      <ul class="documents">
        {docs.data?.map((d) => (
          <li key={d.document_id} class="card">
            <Link to={`/feedback/documents/${encodeURIComponent(d.document_id)}`} class="row-link">
              {d.title}
            </Link>
            <p class="muted small">
              {[d.account, d.owner, date(d.created_at), plural(d.chunk_count, "part")].filter(Boolean).join(" · ")}
            </p>
            <p class="snippet">{d.summary}</p>
          </li>
        ))}
      </ul>
      {docs.data && <OffsetPager offset={offset} page={PAGE} shown={docs.data.length} onChange={(o) => setQuery({ offset: o ? String(o) : null })} />}
    </>
  );
}

function DocumentView({ id }: { id: string }) {
  const doc = useLoad((signal) => ok(api.GET("/feedback/documents/chunks", { params: { query: { document_id: id } }, signal })), [id]);
  const first = doc.data?.chunks[0];
  const meta = (first?.meta ?? {}) as Record<string, unknown>;
  const title = typeof meta.title === "string" ? meta.title : "Document";
  const link = webLink(first?.doc_url ?? (typeof meta.url === "string" ? meta.url : null));
  return (
    <section class="page">
      <p class="crumbs">
        <Link to="/feedback?view=documents">← Documents</Link>
      </p>
      <ProblemNote problem={doc.error} onRetry={doc.reload} />
      {!doc.data && !doc.error && <Spinner label="Loading the document" />}
      {doc.data && first && (
        <article class="card document">
          <h1>{title}</h1>
          <p class="muted small">
            {[sourceName(first.source), first.account, date(first.created_at), plural(doc.data.chunks.length, "part")].filter(Boolean).join(" · ")}
            {link && (
              <>
                {" · "}
                <a href={link} target="_blank" rel="noopener noreferrer">Open original</a>
              </>
            )}
          </p>
          {doc.data.chunks.map((c, i) => {
            const m = (c.meta ?? {}) as Record<string, unknown>;
            return (
              <section key={c.id} class="chunk" aria-label={`Part ${i + 1}`}>
                {typeof m.heading === "string" && m.heading && <h2>{m.heading}</h2>}
                {c.speaker && <p class="speaker">{c.speaker}</p>}
                <p>{c.text}</p>
              </section>
            );
          })}
          {doc.data.truncated && <p class="muted small">Showing the first {count(doc.data.chunks.length)} parts.</p>}
        </article>
      )}
    </section>
  );
}
