// What the language models cost: per-day calls, tokens and cost, the share of template
// answers, today's budget, and every run with its status and agent.
import type { ChartConfiguration } from "chart.js";
import { useMemo, useState } from "preact/hooks";
import { api, choice, ok, type Query } from "../../api/client";
import { useAction, useLoad } from "../../ui/async";
import { ChartView } from "../../ui/Chart";
import { count, date, pct } from "../../ui/format";
import { Button, Confirm, Metric, ProblemNote } from "../../ui/kit";

const RUN_STATUSES: NonNullable<Query<"/admin/runs">["status"]>[] = ["success", "error", "cancelled"];

export function AiUsage() {
  const stats = useLoad((signal) => ok(api.GET("/admin/analytics", { params: { query: { days: 30 } }, signal })), []);
  const [status, setStatus] = useState("");
  const [agent, setAgent] = useState("");
  const runs = useLoad(
    (signal) => ok(api.GET("/admin/runs", { params: { query: { status: choice(status, RUN_STATUSES), agent: agent || undefined, limit: 50 } }, signal })),
    [status, agent],
  );
  const days = stats.data?.daily_stats ?? [];
  const config = useMemo<ChartConfiguration>(
    () => ({
      type: "bar",
      data: {
        labels: days.map((d) => new Date(d.date).toLocaleDateString("en-US", { month: "short", day: "numeric" })),
        datasets: [
          { type: "bar", label: "Tokens", data: days.map((d) => d.tokens), backgroundColor: "#818cf8", yAxisID: "y" },
          { type: "line", label: "Calls", data: days.map((d) => d.runs), borderColor: "#b45309", backgroundColor: "#b45309", yAxisID: "calls", pointRadius: 2 },
        ],
      },
      options: {
        plugins: { legend: { position: "bottom" } },
        scales: { y: { beginAtZero: true, title: { display: true, text: "tokens" } }, calls: { position: "right", beginAtZero: true, grid: { display: false }, ticks: { precision: 0 } } },
      },
    }),
    [stats.data],
  );
  const s = stats.data?.summary;
  const b = stats.data?.budget;
  return (
    <section class="stack-lg">
      <ProblemNote problem={stats.error} onRetry={stats.reload} />
      {s && b && (
        <dl class="metrics">
          <Metric label="Calls, 30 days" value={count(s.total_runs)} />
          <Metric label="Tokens, 30 days" value={count(s.total_tokens)} />
          <Metric label="Cost, 30 days" value={`$${s.total_cost_usd.toFixed(2)}`} />
          <Metric label="Template answers" value={pct(s.fallback_share)} />
          <Metric label="Errors" value={count(s.total_errors)} />
          <Metric label="Budget left today" value={b.workspace_left_today == null ? "no budget" : `${count(b.workspace_left_today)} of ${count(b.workspace_daily_tokens)}`} />
        </dl>
      )}
      {stats.data && (
        <section class="card">
          <h2>Per day</h2>
          <ChartView config={config} height={220} label={`Tokens and calls per day over ${days.length} days`}>
            <table class="sr-only">
              <caption>Per day</caption>
              <thead>
                <tr>
                  <th>Day</th>
                  <th>Calls</th>
                  <th>Tokens</th>
                  <th>Cost</th>
                </tr>
              </thead>
              <tbody>
                {days.map((d) => (
                  <tr key={d.date}>
                    <td>{date(d.date)}</td>
                    <td>{d.runs}</td>
                    <td>{d.tokens}</td>
                    <td>{d.cost_usd.toFixed(4)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </ChartView>
        </section>
      )}
      <section class="card">
        <h2>Runs</h2>
        <div class="filters">
          <div class="select">
            <label for="run-status">Status</label>
            <select id="run-status" value={status} onChange={(e) => setStatus(e.currentTarget.value)}>
              <option value="">Any</option>
              <option value="success">Success</option>
              <option value="error">Error</option>
              <option value="cancelled">Cancelled</option>
            </select>
          </div>
          <div class="select">
            <label for="run-agent">Agent</label>
            <select id="run-agent" value={agent} onChange={(e) => setAgent(e.currentTarget.value)}>
              <option value="">Any</option>
              {["chat_copilot", "insight_writer", "prd_writer", "theme_labeller", "competitive_analyst", "transcriber"].map((a) => (
                <option value={a}>{a.replaceAll("_", " ")}</option>
              ))}
            </select>
          </div>
        </div>
        <ProblemNote problem={runs.error} />
        {runs.data && runs.data.items.length === 0 && <p class="muted small">No model calls yet: without a configured LLM every feature answers from its template.</p>}
        {runs.data && runs.data.items.length > 0 && (
          <div class="table-scroll">
            <table class="data">
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Agent</th>
                  <th scope="col">Status</th>
                  <th scope="col">Tokens</th>
                  <th scope="col">Latency</th>
                  <th scope="col">
                    <span class="sr-only">Conversation</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {runs.data.items.map((r) => (
                  <tr key={r.id}>
                    <td class="small">{date(r.created_at)}</td>
                    <td>{r.agent}</td>
                    <td>{r.status}{r.error_code ? ` (${r.error_code})` : ""}</td>
                    <td class="num">{count(r.tokens_used)}</td>
                    <td class="num">{r.latency_ms} ms</td>
                    <td>{r.conversation_id && <DeleteConversation id={r.conversation_id} onDone={runs.reload} />}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </section>
  );
}


/** Admins may delete a conversation (its messages and ratings; the run log keeps its runs). */
function DeleteConversation({ id, onDone }: { id: string; onDone: () => void }) {
  const [confirming, setConfirming] = useState(false);
  const { busy, problem, run } = useAction();
  if (!confirming) {
    return (
      <Button variant="ghost" onClick={() => setConfirming(true)} aria-label={`Delete conversation ${id.slice(0, 8)}`}>
        Delete conversation
      </Button>
    );
  }
  return (
    <span class="confirm">
      <Confirm
        action="Delete"
        busy={busy}
        onConfirm={() => run(async () => { await ok(api.DELETE("/admin/conversations/{id}", { params: { path: { id } } })); onDone(); })}
        onCancel={() => setConfirming(false)}
      />
      <ProblemNote problem={problem} />
    </span>
  );
}
