// Background work of the workspace: uploads, syncs, clustering, scoring; each with its
// status, progress and error, newest first.
import { useState } from "preact/hooks";
import { api, choice, ok, type Query } from "../../api/client";
import { useLoad } from "../../ui/async";
import { ago } from "../../ui/format";
import { Button, DataTable, OffsetPager, ProblemNote } from "../../ui/kit";

const STATUSES: NonNullable<Query<"/jobs">["status"]>[] = ["queued", "running", "completed", "failed", "cancelled"];

const PAGE = 50;

export function Jobs() {
  const [status, setStatus] = useState("");
  const [offset, setOffset] = useState(0);
  const list = useLoad((signal) => ok(api.GET("/jobs", { params: { query: { status: choice(status, STATUSES), limit: PAGE, offset } }, signal })), [status, offset]);
  return (
    <section class="stack-lg">
      <div class="filters">
        <div class="select">
          <label for="job-status">Status</label>
          <select id="job-status" value={status} onChange={(e) => { setStatus(e.currentTarget.value); setOffset(0); }}>
            <option value="">Any</option>
            {STATUSES.map((s) => (
              <option value={s}>{s}</option>
            ))}
          </select>
        </div>
        <Button variant="ghost" onClick={list.reload}>
          Refresh
        </Button>
      </div>
      <ProblemNote problem={list.error} onRetry={list.reload} />
      {list.data && (
        <>
          <DataTable columns={["Job", "Status", "Started", "Detail"]}>
            {list.data.jobs.map((j) => (
              <tr key={j.id}>
                <td>
                  <span class="mono">{j.kind}</span>
                  <div class="muted small">{j.requested_by ?? "schedule"}</div>
                </td>
                <td>
                  {j.status}
                  {j.status === "running" ? ` ${j.progress}%` : ""}
                  {j.attempts > 1 ? <div class="muted small">attempt {j.attempts} of {j.max_attempts}</div> : null}
                </td>
                <td class="small">{ago(j.started_at ?? j.created_at)}</td>
                <td class="small">{j.error ? <span class="field-error">{j.error}</span> : j.message}</td>
              </tr>
            ))}
          </DataTable>
          <OffsetPager offset={offset} page={PAGE} shown={list.data.jobs.length} total={list.data.total} onChange={setOffset} />
        </>
      )}
    </section>
  );
}
