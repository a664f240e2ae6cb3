// The audit trail: who changed what, when and from where; filtered by action family and
// actor, paged.
import { useState } from "preact/hooks";
import { api, ok } from "../../api/client";
import { useLoad } from "../../ui/async";
import { date } from "../../ui/format";
import { DataTable, OffsetPager, ProblemNote } from "../../ui/kit";

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
];

export function Audit() {
  const [action, setAction] = useState("");
  const [actor, setActor] = useState("");
  const [offset, setOffset] = useState(0);
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
          <input id="audit-actor" placeholder="user:<id> or key:<id>" value={actor} onChange={(e) => { setActor(e.currentTarget.value.trim()); setOffset(0); }} />
        </div>
      </div>
      <ProblemNote problem={list.error} onRetry={list.reload} />
      {list.data && (
        <>
          <p class="muted small">{list.data.total} entries</p>
          <DataTable columns={["When", "Action", "Who", "What"]}>
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
                  {e.target_type} {e.target_id ? <span class="mono">{e.target_id.slice(0, 8)}</span> : null}
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
