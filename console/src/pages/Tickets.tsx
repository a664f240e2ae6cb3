// Jira tickets scored by the customer evidence behind them: which to do first, and which
// are prioritised against what customers say.
import { useRef, useState } from "preact/hooks";
import { api, choice, ok, rawFetch, type Query, type Schemas } from "../api/client";
import { Link, setQuery, useLocation } from "../router";
import { can, me } from "../session";
import { useStore } from "../store";
import { useAction, useLoad } from "../ui/async";
import { plural } from "../ui/format";
import { ActionForm, Button, DataTable, Empty, Field, FormEnd, ProblemNote, Progress, useDropzone } from "../ui/kit";
import { useFollowedJob } from "./jobProgress";

type Item = Schemas["TicketItemOut"];

export function bandOf(score: number): string {
  return score >= 80 ? "CRITICAL" : score >= 60 ? "HIGH" : score >= 40 ? "MEDIUM" : "LOW";
}

export function BandChip({ band }: { band: string }) {
  return <span class={`badge sev-${band.toLowerCase() === "critical" ? "critical" : band.toLowerCase()}`}>{band.toLowerCase()}</span>;
}

export function GapFlag({ gap }: { gap: Schemas["PriorityGap"] | null | undefined }) {
  if (!gap) return null;
  const under = gap.levels > 0;
  return (
    <span class={`gap ${under ? "gap-under" : "gap-over"}`} title={gap.message}>
      {under ? "Under-prioritised" : "Over-prioritised"}: {gap.ticket_priority.toLowerCase()} → {gap.recommended_priority.toLowerCase()}
    </span>
  );
}

export function TicketsPage() {
  const who = useStore(me);
  const { query } = useLocation();
  const sort = query.get("sort") ?? "voc_score";
  const status = query.get("status") ?? "";
  const list = useLoad(
    (signal) => ok(api.GET("/jira/tickets", { params: { query: { sort_by: choice(sort, TICKET_SORTS), status: status || undefined, limit: 500 } }, signal })),
    [sort, status],
  );
  const gaps = list.data?.filter((t) => t.priority_gap).length ?? 0;
  return (
    <section class="page">
      <div class="page-head">
        <div>
          <h1>Tickets</h1>
          <p class="muted">Jira tickets scored by the customer evidence behind them.</p>
        </div>
        {can(who, "editor") && <Recalculate onDone={list.reload} />}
      </div>
      {can(who, "editor") && <ImportTickets onDone={list.reload} />}
      {can(who, "editor") && <NewTicket onCreated={list.reload} />}
      <div class="filters">
        <div class="select">
          <label for="ticket-status">Status</label>
          <select id="ticket-status" value={status} onChange={(e) => setQuery({ status: e.currentTarget.value })}>
            <option value="">Any</option>
            {STATUSES.map((s) => (
              <option value={s}>{s.replace("_", " ").toLowerCase()}</option>
            ))}
          </select>
        </div>
        <div class="select">
          <label for="ticket-sort">Sort by</label>
          <select id="ticket-sort" value={sort} onChange={(e) => setQuery({ sort: e.currentTarget.value === "voc_score" ? null : e.currentTarget.value })}>
            <option value="voc_score">VOC score</option>
            <option value="priority">Priority</option>
            <option value="created_at">Newest</option>
          </select>
        </div>
      </div>
      <ProblemNote problem={list.error} onRetry={list.reload} />
      {gaps > 0 && (
        <p class="note note-warn">
          {plural(gaps, "ticket")} {gaps === 1 ? "is" : "are"} prioritised against what customers say.
        </p>
      )}
      {list.data?.length === 0 && <Empty title="No tickets yet">Import a Jira CSV export above, or connect Jira on the integrations page.</Empty>}
      {list.data && list.data.length > 0 && (
        <DataTable class="tickets-table" columns={["Ticket", "Status", "Priority", "VOC score", "Matches"]}>
          {list.data.map((t) => (
            <TicketRow key={t.ticket.id} t={t} />
          ))}
        </DataTable>
      )}
    </section>
  );
}

function TicketRow({ t }: { t: Item }) {
  const score = t.voc_score;
  return (
    <tr>
      <td>
        <Link to={`/tickets/${encodeURIComponent(t.ticket.jira_key)}`} class="row-link">
          <span class="mono">{t.ticket.jira_key}</span> {t.ticket.title}
        </Link>
        {t.priority_gap && (
          <div>
            <GapFlag gap={t.priority_gap} />
          </div>
        )}
      </td>
      <td>{t.ticket.status.replace("_", " ").toLowerCase()}</td>
      <td>{t.ticket.priority.toLowerCase()}</td>
      <td class="num">
        {score ? (
          <>
            <strong>{Math.round(score.voc_score)}</strong> <BandChip band={score.recommended_priority} />
          </>
        ) : (
          <span class="muted small">not scored</span>
        )}
      </td>
      <td class="num">{t.matched_insights.filter((m) => m.included).length}</td>
    </tr>
  );
}

function Recalculate({ onDone }: { onDone: () => void }) {
  const { job, running, follow } = useFollowedJob(onDone);
  const { busy, problem, run } = useAction();
  const start = () =>
    run(async () => {
      const res = await rawFetch("/jira/calculate-all-voc", { method: "POST", headers: { Prefer: "respond-async" } });
      const out = (await res.json()) as Schemas["CalculateAllOut"];
      if (res.status === 200) return onDone();
      follow(out.task_id);
    });
  return (
    <div class="cluster-control">
      <div class="cluster-line">
        {running && job && <Progress doing="Scoring" progress={job.progress} message={job.message} />}
        {job?.status === "completed" && <span class="muted small">Scores recalculated</span>}
        <Button variant="primary" onClick={start} busy={busy || running}>
          Recalculate all
        </Button>
      </div>
      <ProblemNote problem={problem} />
    </div>
  );
}

function ImportTickets({ onDone }: { onDone: () => void }) {
  const [result, setResult] = useState<Schemas["ImportOut"] | null>(null);
  const { busy, problem, run } = useAction();
  const picker = useRef<HTMLInputElement>(null);
  const send = (file: File | undefined) =>
    file &&
    run(async () => {
      const res = await rawFetch("/jira/tickets/import", { method: "POST", body: file, headers: { "Content-Type": "text/csv" } });
      setResult((await res.json()) as Schemas["ImportOut"]);
      onDone();
    });
  const { dragging, handlers } = useDropzone((files) => send(files?.[0]));
  return (
    <div class={`dropzone dropzone-small ${dragging ? "dropzone-on" : ""}`} {...handlers}>
      <p>
        <strong>Import a Jira CSV export</strong> — drop it here or{" "}
        <Button variant="secondary" busy={busy} onClick={() => picker.current?.click()}>
          choose a file
        </Button>
      </p>
      <label for="jira-csv" class="sr-only">
        Jira CSV export
      </label>
      <input id="jira-csv" ref={picker} type="file" accept=".csv,text/csv" class="sr-only" onChange={(e) => { send(e.currentTarget.files?.[0]); e.currentTarget.value = ""; }} />
      <ProblemNote problem={problem} />
      {result && (
        <div class="import-result" role="status">
          <p>
            {plural(result.tickets, "ticket")} read: {result.created} new, {result.updated} updated, {result.unchanged} unchanged.
            {result.created + result.updated > 0 && " Recalculate to score them."}
          </p>
          {result.skipped.length > 0 && (
            <>
              <p class="small">{plural(result.skipped.length, "row")} skipped:</p>
              <ul class="skipped">
                {result.skipped.map((s) => (
                  <li key={s.row}>
                    Row {s.row}
                    {s.jira_key ? ` (${s.jira_key})` : ""}: {s.reason}
                  </li>
                ))}
              </ul>
            </>
          )}
        </div>
      )}
    </div>
  );
}

const TICKET_SORTS: NonNullable<Query<"/jira/tickets">["sort_by"]>[] = ["voc_score", "priority", "created_at"];
export const PRIORITIES = ["HIGHEST", "HIGH", "MEDIUM", "LOW", "LOWEST"];
export const STATUSES = ["OPEN", "IN_PROGRESS", "BACKLOG", "DONE", "CLOSED"];

function NewTicket({ onCreated }: { onCreated: () => void }) {
  const [open, setOpen] = useState(false);
  const [key, setKey] = useState("");
  const [title, setTitle] = useState("");
  const [description, setDescription] = useState("");
  const [priority, setPriority] = useState("MEDIUM");
  const { busy, problem, run } = useAction();
  if (!open) {
    return (
      <p>
        <Button variant="ghost" onClick={() => setOpen(true)}>
          + Add a ticket by hand
        </Button>
      </p>
    );
  }
  return (
    <ActionForm card
      run={run}
      action={async () => {
        await ok(api.POST("/jira/tickets", { body: { jira_key: key, title, description: description || null, priority } }));
        setOpen(false);
        setKey("");
        setTitle("");
        setDescription("");
        onCreated();
      }}
    >
      <h2>Add a ticket</h2>
      <Field id="t-key" label="Jira key" hint="e.g. PROD-42" error={problem?.fieldMessage("jira_key")}>
        <input id="t-key" required value={key} onInput={(e) => setKey(e.currentTarget.value)} />
      </Field>
      <Field id="t-title" label="Title" error={problem?.fieldMessage("title")}>
        <input id="t-title" required value={title} onInput={(e) => setTitle(e.currentTarget.value)} />
      </Field>
      <Field id="t-description" label="Description (optional)">
        <input id="t-description" value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
      </Field>
      <div class="select">
        <label for="t-priority">Priority</label>
        <select id="t-priority" value={priority} onChange={(e) => setPriority(e.currentTarget.value)}>
          {PRIORITIES.map((p) => (
            <option value={p}>{p.toLowerCase()}</option>
          ))}
        </select>
      </div>
      <FormEnd label="Add ticket" busy={busy} problem={problem}>
        <Button variant="ghost" onClick={() => setOpen(false)}>
          Cancel
        </Button>
      </FormEnd>
    </ActionForm>
  );
}
