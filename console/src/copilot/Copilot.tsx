// The copilot panel, reachable from every page: answers stream as they are written, each
// claim's [n] is a chip that opens the passage behind it, conversations can be listed,
// renamed, archived and continued, and answers can be rated. On an insight page the
// questions are about that insight.
import { useEffect, useRef, useState } from "preact/hooks";
import { api, ok, type ApiProblem, type Schemas } from "../api/client";
import { postStream } from "../api/sse";
import { Link } from "../router";
import { store, useStore } from "../store";
import { useLoad } from "../ui/async";
import { date, sourceName } from "../ui/format";
import { Button, GeneratedBy, ProblemNote } from "../ui/kit";

type Citation = Schemas["Citation2"];

export const copilotOpen = store(false);
export const copilotInsight = store<{ id: string; title: string } | null>(null);

interface Turn {
  id?: string;
  role: "user" | "assistant";
  content: string;
  citations: Citation[];
  generatedBy?: string | null;
  fallbackReason?: string | null;
  incomplete?: boolean;
  error?: string;
  rating?: string;
}

export function Copilot() {
  const open = useStore(copilotOpen);
  const insight = useStore(copilotInsight);
  const [conversation, setConversation] = useState<string | null>(null);
  const [turns, setTurns] = useState<Turn[]>([]);
  const [draft, setDraft] = useState("");
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [showList, setShowList] = useState(false);
  const abort = useRef<AbortController | null>(null);
  const input = useRef<HTMLTextAreaElement>(null);
  const end = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (open) input.current?.focus();
  }, [open]);
  useEffect(() => {
    end.current?.scrollIntoView?.({ block: "end" });
  }, [turns]);

  if (!open) return null;

  function resetConversation() {
    abort.current?.abort();
    setConversation(null);
    setTurns([]);
    setProblem(null);
  }

  function newConversation() {
    resetConversation();
    setShowList(false);
  }

  async function openConversation(id: string) {
    setProblem(null);
    try {
      const c = await ok(api.GET("/conversations/{id}", { params: { path: { id } } }));
      setConversation(id);
      setTurns(
        c.messages.map((m) => ({
          id: m.id,
          role: m.role === "user" ? "user" : "assistant",
          content: m.content,
          citations: m.citations,
          generatedBy: m.generated_by,
          incomplete: m.incomplete,
        })),
      );
      setShowList(false);
    } catch (e) {
      setProblem(e as ApiProblem);
    }
  }

  async function ask(question: string) {
    const text = question.trim();
    if (!text || busy) return;
    setProblem(null);
    setBusy(true);
    const controller = new AbortController();
    abort.current = controller;
    const answer: Turn = { role: "assistant", content: "", citations: [] };
    setTurns((t) => [...t, { role: "user", content: text, citations: [] }, answer]);
    const update = (change: Partial<Turn>) => {
      Object.assign(answer, change);
      setTurns((t) => [...t.slice(0, -1), { ...answer }]);
    };
    try {
      const body = { message: text, conversation_id: conversation, selected_insight_id: insight?.id ?? null, stream: true };
      for await (const { event, data } of postStream("/chat", body, controller.signal)) {
        const kind = (data && data.type) || event;
        if (kind === "session_init") {
          setConversation(data.conversation_id);
          update({ id: data.message_id });
        } else if (kind === "delta") update({ content: answer.content + data.content });
        else if (kind === "citations") update({ citations: data.citations });
        else if (kind === "done") update({ id: data.message_id, generatedBy: data.generated_by, fallbackReason: data.fallback_reason });
        else if (kind === "error") update({ error: data.error, incomplete: true, id: data.message_id ?? answer.id });
      }
      setDraft("");
    } catch (e) {
      if (!(e instanceof DOMException && e.name === "AbortError")) {
        setProblem(e as ApiProblem);
        // The question stays in the box so it can be sent again.
        setTurns((t) => t.slice(0, -2));
      }
    } finally {
      setBusy(false);
    }
  }

  return (
    <aside id="copilot" class="copilot" aria-label="Copilot">
      <header class="copilot-head">
        <h2>Copilot</h2>
        <div class="button-row">
          <Button variant="ghost" onClick={() => setShowList(!showList)} aria-expanded={showList}>
            Conversations
          </Button>
          <Button variant="ghost" onClick={newConversation}>
            New
          </Button>
          <Button variant="ghost" onClick={() => copilotOpen.set(false)} aria-label="Close the copilot">
            ✕
          </Button>
        </div>
      </header>
      {insight && (
        <p class="copilot-context small">
          About <strong>{insight.title}</strong>
          <button type="button" class="linklike" onClick={() => copilotInsight.set(null)}>
            ask about everything
          </button>
        </p>
      )}
      {showList ? (
        <ConversationList current={conversation} onOpen={openConversation} onArchived={(id) => id === conversation && resetConversation()} />
      ) : (
        <div class="copilot-body" aria-live="polite">
          {turns.length === 0 && <Suggestions onPick={(q) => ask(q)} />}
          {turns.map((t, i) => (
            <TurnView key={i} turn={t} streaming={busy && i === turns.length - 1} />
          ))}
          <div ref={end} />
        </div>
      )}
      <ProblemNote problem={problem} />
      <form
        class="copilot-input"
        onSubmit={(e) => {
          e.preventDefault();
          ask(draft);
        }}
      >
        <label for="copilot-question" class="sr-only">
          Ask a question
        </label>
        <textarea
          id="copilot-question"
          ref={input}
          rows={2}
          placeholder={insight ? "Ask about this insight…" : "Ask about your customers' feedback…"}
          value={draft}
          onInput={(e) => setDraft(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === "Enter" && !e.shiftKey) {
              e.preventDefault();
              ask(draft);
            }
          }}
        />
        {busy ? (
          <Button onClick={() => abort.current?.abort()}>Stop</Button>
        ) : (
          <Button type="submit" variant="primary" disabled={!draft.trim()}>
            Ask
          </Button>
        )}
      </form>
    </aside>
  );
}

function Suggestions({ onPick }: { onPick: (q: string) => void }) {
  const s = useLoad((signal) => ok(api.GET("/suggestions", { signal })), []);
  return (
    <div class="suggestions">
      <p class="muted small">Ask about themes, accounts, blockers or quick wins. Every claim cites its evidence.</p>
      <ul>
        {s.data?.suggestions.slice(0, 5).map((x) => (
          <li key={x.text}>
            <button type="button" class="suggestion" onClick={() => onPick(x.text)}>
              {x.text}
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}

/** The answer with each [n] as a chip; a chip opens its passage below the answer. */
function TurnView({ turn, streaming }: { turn: Turn; streaming: boolean }) {
  const [openCitation, setOpenCitation] = useState<number | null>(null);
  if (turn.role === "user") return <div class="turn turn-user">{turn.content}</div>;
  const parts = turn.content.split(/(\[\d+\])/g);
  const cited = openCitation === null ? undefined : turn.citations.find((c) => c.index === openCitation);
  return (
    <div class="turn turn-assistant">
      <div class="answer">
        {parts.map((p, i) => {
          const m = /^\[(\d+)\]$/.exec(p);
          if (!m) return <span key={i}>{p}</span>;
          const n = Number(m[1]);
          const known = turn.citations.some((c) => c.index === n);
          return known ? (
            <button key={i} type="button" class={`cite ${openCitation === n ? "cite-on" : ""}`} aria-expanded={openCitation === n} aria-label={`Source ${n}`} onClick={() => setOpenCitation(openCitation === n ? null : n)}>
              {n}
            </button>
          ) : (
            <span key={i} class="cite cite-pending">
              {n}
            </span>
          );
        })}
        {streaming && <span class="caret" aria-hidden="true" />}
      </div>
      {cited && <CitationCard c={cited} />}
      {turn.error && <p class="note note-error small">{turn.error}</p>}
      {!streaming && turn.id && !turn.error && (
        <div class="turn-foot">
          {turn.generatedBy && <GeneratedBy by={turn.generatedBy} reason={turn.fallbackReason} />}
          <Rate messageId={turn.id} />
        </div>
      )}
    </div>
  );
}

function CitationCard({ c }: { c: Citation }) {
  return (
    <div class="citation-card" role="region" aria-label={`Source ${c.index}`}>
      <p class="small muted">
        [{c.index}] {c.kind === "insight" ? "Insight" : sourceName(c.source) || c.source_name}
        {c.account ? ` · ${c.account}` : ""}
        {c.date ? ` · ${date(c.date)}` : ""}
      </p>
      <blockquote>{c.snippet}</blockquote>
      {c.insight_id && (
        <Link to={`/insights/${c.insight_id}`} onClick={() => copilotOpen.set(window.innerWidth > 900)}>
          Open the insight
        </Link>
      )}
    </div>
  );
}

function Rate({ messageId }: { messageId: string }) {
  const [rating, setRating] = useState<Schemas["RatingIn"]["rating"] | null>(null);
  async function rate(r: Schemas["RatingIn"]["rating"]) {
    try {
      await ok(api.POST("/conversations/feedback", { body: { message_id: messageId, rating: r } }));
      setRating(r);
    } catch {
      /* rating is optional; the buttons stay as they were */
    }
  }
  return (
    <span class="rate" role="group" aria-label="Rate this answer">
      <button type="button" class={`icon-btn ${rating === "thumbs_up" ? "on" : ""}`} aria-pressed={rating === "thumbs_up"} aria-label="Helpful" onClick={() => rate("thumbs_up")}>
        <Thumb />
      </button>
      <button type="button" class={`icon-btn ${rating === "thumbs_down" ? "on" : ""}`} aria-pressed={rating === "thumbs_down"} aria-label="Not helpful" onClick={() => rate("thumbs_down")}>
        <Thumb down />
      </button>
    </span>
  );
}

function Thumb({ down = false }: { down?: boolean }) {
  return (
    <svg width="16" height="16" viewBox="0 0 24 24" aria-hidden="true" style={down ? { transform: "rotate(180deg)" } : undefined}>
      <path d="M7 11v9H4v-9h3zm2 9h8.3a2 2 0 0 0 2-1.6l1.2-6A2 2 0 0 0 18.5 10H14V6a2 2 0 0 0-2-2l-3 7v9z" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linejoin="round" />
    </svg>
  );
}

function ConversationList({ current, onOpen, onArchived }: { current: string | null; onOpen: (id: string) => void; onArchived: (id: string) => void }) {
  const [archived, setArchived] = useState(false);
  const list = useLoad((signal) => ok(api.GET("/conversations", { params: { query: { include_archived: archived, limit: 50 } }, signal })), [archived]);
  const [renaming, setRenaming] = useState<string | null>(null);
  const [title, setTitle] = useState("");
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  async function rename(id: string) {
    try {
      await ok(api.PATCH("/conversations/{id}", { params: { path: { id } }, body: { title } }));
      setRenaming(null);
      list.reload();
    } catch (e) {
      setProblem(e as ApiProblem);
    }
  }
  async function archive(id: string, value: boolean) {
    try {
      await ok(api.POST("/conversations/{id}/archive", { params: { path: { id } }, body: { archived: value } }));
      if (value) onArchived(id);
      list.reload();
    } catch (e) {
      setProblem(e as ApiProblem);
    }
  }
  return (
    <div class="copilot-body">
      <label class="check small">
        <input type="checkbox" checked={archived} onChange={(e) => setArchived(e.currentTarget.checked)} /> Show archived
      </label>
      <ProblemNote problem={problem ?? list.error} />
      {list.data?.items.length === 0 && <p class="muted small">No conversations yet.</p>}
      <ul class="conversations">
        {list.data?.items.map((c) => (
          <li key={c.id} class={c.id === current ? "current" : ""}>
            {renaming === c.id ? (
              <form class="rename" onSubmit={(e) => { e.preventDefault(); rename(c.id); }}>
                <label for={`rename-${c.id}`} class="sr-only">New title</label>
                <input id={`rename-${c.id}`} value={title} onInput={(e) => setTitle(e.currentTarget.value)} />
                <Button type="submit" variant="primary">Save</Button>
                <Button variant="ghost" onClick={() => setRenaming(null)}>Cancel</Button>
              </form>
            ) : (
              <>
                <button type="button" class="conversation" onClick={() => onOpen(c.id)}>
                  <span>{c.title}</span>
                  <span class="muted small">{date(c.updated_at)}{c.archived ? " · archived" : ""}</span>
                </button>
                <div class="button-row">
                  <Button variant="ghost" onClick={() => { setRenaming(c.id); setTitle(c.title); }} aria-label={`Rename ${c.title}`}>Rename</Button>
                  <Button variant="ghost" onClick={() => archive(c.id, !c.archived)} aria-label={`${c.archived ? "Restore" : "Archive"} ${c.title}`}>{c.archived ? "Restore" : "Archive"}</Button>
                </div>
              </>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}
