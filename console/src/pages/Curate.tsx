// A PM's hand on a theme: edit the insight's words, pin or hide it, merge other insights
// into it, split it, move feedback out of it. Every change answers with its audit entry, so
// the note it leaves offers Undo.
import { useState } from "preact/hooks";
import { api, ok, type Insight, type Schemas } from "../api/client";
import { Link } from "../router";
import { useAction, useLoad } from "../ui/async";
import { date, plural } from "../ui/format";
import { ActionForm, Button, Confirm, Field, FormEnd, ProblemNote } from "../ui/kit";

type Curation = Schemas["CurationOut"];

/** What the last change did, with the audit entry that undoes it. */
export interface Done {
  what: string;
  auditId: string;
  created?: { id: string; title: string };
  movedTo?: { id: string; title: string };
}

/** The badges that say a PM shaped this insight. */
export function CurationBadges({ insight }: { insight: Insight }) {
  return (
    <>
      {insight.pinned && <span class="chip chip-pinned">Pinned</span>}
      {insight.hidden && <span class="chip chip-hidden">Hidden from the board</span>}
      {insight.edited_by && (
        <span class="muted small">
          Edited by {insight.edited_by}
          {insight.edited_at ? ` on ${date(insight.edited_at)}` : ""}
        </span>
      )}
    </>
  );
}

/** The note a change leaves: what happened, where things went, and Undo. */
export function DoneNote({ done, onUndone }: { done: Done; onUndone: () => void }) {
  const { busy, problem, run } = useAction();
  const [undone, setUndone] = useState(false);
  const undo = () =>
    run(async () => {
      await ok(api.POST("/themes/curation/{audit_id}/undo", { params: { path: { audit_id: done.auditId } } }));
      setUndone(true);
      onUndone();
    });
  return (
    <div class="note note-success done-note" role="status">
      <span>
        {undone ? `Undone: ${done.what.toLowerCase()}` : done.what}
        {!undone && done.created && (
          <>
            {" "}
            New insight: <Link to={`/insights/${done.created.id}`}>{done.created.title}</Link>.
          </>
        )}
        {!undone && done.movedTo && (
          <>
            {" "}
            Now in <Link to={`/insights/${done.movedTo.id}`}>{done.movedTo.title}</Link>.
          </>
        )}
      </span>
      {!undone && (
        <Button busy={busy} onClick={undo}>
          Undo
        </Button>
      )}
      <ProblemNote problem={problem} />
    </div>
  );
}

/** The other insights of the board, for merge and move targets. */
function useOtherInsights(id: string) {
  const list = useLoad((signal) => ok(api.GET("/themes", { params: { query: { limit: 100, include_hidden: true } }, signal })), [id]);
  return (list.data ?? []).filter((i) => i.id !== id);
}

/** The curation card of an insight page (editors and admins). */
export function CurateCard({ insight, onDone }: { insight: Insight; onDone: (done: Done | null) => void }) {
  const { busy, problem, run } = useAction();
  const others = useOtherInsights(insight.id);
  const [mergeId, setMergeId] = useState("");
  const [confirming, setConfirming] = useState<"merge" | "split" | null>(null);
  const change = (what: string, call: () => Promise<Curation>) =>
    run(async () => {
      const out = await call();
      setConfirming(null);
      onDone({
        what,
        auditId: out.audit_id,
        created: out.created_insight ? { id: out.created_insight.id, title: out.created_insight.title } : undefined,
      });
    });
  const patch = (body: Schemas["InsightPatchIn"], what: string) =>
    change(what, () => ok(api.PATCH("/themes/{insight_id}", { params: { path: { insight_id: insight.id } }, body })));
  const mergeTitle = others.find((o) => o.id === mergeId)?.title ?? "";
  return (
    <section class="card curate">
      <h2>Curate</h2>
      <p class="muted small">Changes here hold through later clustering runs, and each can be undone.</p>
      <div class="button-row">
        <Button busy={busy} onClick={() => patch({ pinned: !insight.pinned }, insight.pinned ? "Unpinned." : "Pinned to the top of the board.")}>
          {insight.pinned ? "Unpin" : "Pin to top"}
        </Button>
        <Button busy={busy} onClick={() => patch({ hidden: !insight.hidden }, insight.hidden ? "Back on the board." : "Hidden from the board.")}>
          {insight.hidden ? "Show on board" : "Hide"}
        </Button>
      </div>
      <div class="select">
        <label for="merge-from">Merge another insight into this one</label>
        <select id="merge-from" value={mergeId} onChange={(e) => setMergeId(e.currentTarget.value)}>
          <option value="">Choose an insight…</option>
          {others.map((o) => (
            <option value={o.id}>
              {o.title} ({plural(o.feedback_count, "item")})
            </option>
          ))}
        </select>
      </div>
      <div class="button-row">
        {confirming === "merge" ? (
          <Confirm
            question={`Its feedback joins this insight and “${mergeTitle}” goes.`}
            action="Merge"
            busy={busy}
            onConfirm={() =>
              change(`Merged “${mergeTitle}” into this insight.`, () =>
                ok(api.POST("/themes/{insight_id}/merge", { params: { path: { insight_id: insight.id } }, body: { insight_ids: [mergeId] } })),
              )
            }
            onCancel={() => setConfirming(null)}
          />
        ) : (
          <Button disabled={!mergeId} onClick={() => setConfirming("merge")}>
            Merge…
          </Button>
        )}
      </div>
      <div class="button-row">
        {confirming === "split" ? (
          <Confirm
            question="The feedback least like the rest becomes a new insight."
            action="Split in two"
            busy={busy}
            onConfirm={() =>
              change("Split in two.", () => ok(api.POST("/themes/{insight_id}/split", { params: { path: { insight_id: insight.id } }, body: {} })))
            }
            onCancel={() => setConfirming(null)}
          />
        ) : (
          <Button disabled={insight.feedback_count < 4} onClick={() => setConfirming("split")}>
            Split in two…
          </Button>
        )}
      </div>
      <p class="muted small">To split off or move particular items, tick them under the quotes.</p>
      <ProblemNote problem={problem} />
    </section>
  );
}

/** The insight's words as a form; what a PM writes stays through later runs. */
export function EditText({ insight, onDone, onCancel }: { insight: Insight; onDone: (done: Done) => void; onCancel: () => void }) {
  const { busy, problem, run } = useAction();
  const [text, setText] = useState({
    title: insight.title,
    description: insight.description,
    impact: insight.impact,
    recommendation: insight.recommendation,
  });
  const fields: [keyof typeof text, string, boolean][] = [
    ["title", "Title", false],
    ["description", "What customers say", true],
    ["impact", "Impact", true],
    ["recommendation", "Recommendation", true],
  ];
  const save = async () => {
    const changed = Object.fromEntries(fields.filter(([k]) => text[k] !== insight[k]).map(([k]) => [k, text[k]]));
    if (Object.keys(changed).length === 0) return onCancel();
    const out = await ok(api.PATCH("/themes/{insight_id}", { params: { path: { insight_id: insight.id } }, body: changed }));
    onDone({ what: "Saved your wording.", auditId: out.audit_id });
  };
  return (
    <ActionForm run={run} action={save}>
      {fields.map(([key, label, long]) => (
        <Field key={key} id={`edit-${key}`} label={label}>
          {long ? (
            <textarea id={`edit-${key}`} rows={4} required value={text[key]} onInput={(e) => setText({ ...text, [key]: e.currentTarget.value })} />
          ) : (
            <input id={`edit-${key}`} required maxLength={200} value={text[key]} onInput={(e) => setText({ ...text, [key]: e.currentTarget.value })} />
          )}
        </Field>
      ))}
      <FormEnd label="Save wording" busy={busy} problem={problem}>
        <Button variant="ghost" onClick={onCancel}>
          Cancel
        </Button>
      </FormEnd>
    </ActionForm>
  );
}

/** What to do with the ticked feedback: split it off, or move it to another insight. */
export function SelectionBar({ insight, selected, onDone, onClear }: { insight: Insight; selected: string[]; onDone: (done: Done) => void; onClear: () => void }) {
  const { busy, problem, run } = useAction();
  const others = useOtherInsights(insight.id);
  const [target, setTarget] = useState("");
  if (selected.length === 0) return null;
  const n = plural(selected.length, "item");
  const splitOff = () =>
    run(async () => {
      const out = await ok(api.POST("/themes/{insight_id}/split", { params: { path: { insight_id: insight.id } }, body: { feedback_ids: selected } }));
      onDone({
        what: `Split ${n} off into a new insight.`,
        auditId: out.audit_id,
        created: out.created_insight ? { id: out.created_insight.id, title: out.created_insight.title } : undefined,
      });
    });
  const move = () =>
    run(async () => {
      const out = await ok(api.POST("/themes/{insight_id}/move", { params: { path: { insight_id: target } }, body: { feedback_ids: selected } }));
      onDone({ what: `Moved ${n}.`, auditId: out.audit_id, movedTo: { id: out.insight.id, title: out.insight.title } });
    });
  return (
    <div class="selection-bar" role="region" aria-label="Selected feedback">
      <strong>{n} selected</strong>
      <Button busy={busy} onClick={splitOff}>
        Split off as a new insight
      </Button>
      <label for="move-to" class="sr-only">
        Move to
      </label>
      <select id="move-to" value={target} onChange={(e) => setTarget(e.currentTarget.value)}>
        <option value="">Move to…</option>
        {others.map((o) => (
          <option value={o.id}>{o.title}</option>
        ))}
      </select>
      <Button disabled={!target} busy={busy} onClick={move}>
        Move
      </Button>
      <Button variant="ghost" onClick={onClear}>
        Clear
      </Button>
      <ProblemNote problem={problem} />
    </div>
  );
}
