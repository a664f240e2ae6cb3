// The audit trail: who changed what, when and from where; filtered by action family and
// actor, paged. A theme curation can be undone from its entry.
import { useState } from "preact/hooks";
import { api, ok, type Schemas } from "../../api/client";
import { useAction, useLoad } from "../../ui/async";
import { date } from "../../ui/format";
import { Button, DataTable, OffsetPager, ProblemNote } from "../../ui/kit";

type Entry = Schemas["AuditEntryOut"];

/** Curation actions `POST /themes/curation/{audit_id}/undo` accepts. */
const UNDOABLE = ["theme.edited", "theme.merged", "theme.items_moved", "theme.split", "theme.undone"];

const PAGE = 50;
const FAMILIES: [string, string][] = [
  ["", "Every action"],
  ["member.", "Members"],
  ["api_key.", "API keys"],
  ["scoring.", "Scoring"],
  ["integration.", "Integrations"],
  ["feedback.", "Feedback"],
  ["jira_ticket.", "Tickets"],
  ["conversation.", "Conversations"],
  ["theme.", "Theme curation"],
  ["webhook.", "Webhooks"],
  ["mcp.", "AI assistants (MCP)"],
];

export function Audit() {
  const [action, setAction] = useState("");
  const [actor, setActor] = useState("");
  const [offset, setOffset] = useState(0);
  const undo = useAction();
  const list = useLoad(
    (signal) => ok(api.GET("/admin/audit", { params: { query: { action: action || undefined, actor: actor || undefined, limit: PAGE, offset } }, signal })),
    [action, actor, offset],
  );
  return (
    <section class="stack-lg">
      <div class="filters">
        <div class="select">
          <label for="audit-action">Action</label>
          <select id="audit-action" value={action} onChange={(e) => { setAction(e.currentTarget.value); setOffset(0); }}>
            {FAMILIES.map(([v, l]) => (
              <option value={v}>{l}</option>
            ))}
          </select>
        </div>
        <div class="select">
          <label for="audit-actor">Actor</label>
          <input id="audit-actor" placeholder="user:<id> or api_key:<id>" value={actor} onChange={(e) => { setActor(e.currentTarget.value.trim()); setOffset(0); }} />
        </div>
      </div>
      <ProblemNote problem={undo.problem ?? list.error} onRetry={undo.problem ? undefined : list.reload} />
      {list.data && (
        <>
          <p class="muted small">{list.data.total} {list.data.total === 1 ? "entry" : "entries"}</p>
          <DataTable columns={["When", "Action", "Who", "What", { label: "Actions", hidden: true }]}>
            {list.data.items.map((e) => (
              <tr key={e.id}>
                <td class="small">{date(e.created_at)} {new Date(e.created_at).toLocaleTimeString("en-US", { hour: "2-digit", minute: "2-digit" })}</td>
                <td>
                  <span class="mono">{e.action}</span>
                </td>
                <td class="small">
                  <button type="button" class="linklike" onClick={() => { setActor(e.actor); setOffset(0); }}>
                    {e.actor}
                  </button>
                  {e.ip && <div class="muted">{e.ip}</div>}
                </td>
                <td class="small">
                  <What entry={e} />
                </td>
                <td>
                  {UNDOABLE.includes(e.action) && (
                    <Button
                      variant="ghost"
                      busy={undo.busy}
                      aria-label={`Undo ${e.action} of ${date(e.created_at)}`}
                      onClick={() =>
                        undo.run(async () => {
                          await ok(api.POST("/themes/curation/{audit_id}/undo", { params: { path: { audit_id: e.id } } }));
                          setOffset(0);
                          list.reload();
                        })
                      }
                    >
                      Undo
                    </Button>
                  )}
                </td>
              </tr>
            ))}
          </DataTable>
          <OffsetPager offset={offset} page={PAGE} shown={list.data.items.length} total={list.data.total} onChange={setOffset} />
        </>
      )}
    </section>
  );
}

/** The target, shortened when it is an id; an assistant's tool call says how it ended. */
function What({ entry: e }: { entry: Entry }) {
  const id = e.target_id ?? "";
  const shown = /^[0-9a-f]{8}-[0-9a-f-]{27}$/.test(id) ? id.slice(0, 8) : id;
  const details = (e.details ?? {}) as { result?: string; error_code?: string | null };
  return (
    <>
      {e.target_type} {shown && <span class="mono">{shown}</span>}
      {e.action === "mcp.tool_called" && details.result && (
        <div class={details.result === "ok" ? "muted" : "warn-text"}>
          {details.result === "ok" ? "answered" : `error: ${details.error_code ?? "unknown"}`}
        </div>
      )}
    </>
  );
}
