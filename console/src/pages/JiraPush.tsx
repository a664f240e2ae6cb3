// Taking an insight to the roadmap: the Jira issues made from it, and a form that makes one
// (from the insight or its PRD) in the connected Jira project.
import { useState } from "preact/hooks";
import { api, ok, type Schemas } from "../api/client";
import { useAction } from "../ui/async";
import { date } from "../ui/format";
import { ActionForm, Field, FormEnd } from "../ui/kit";

type Link = Schemas["JiraLink"];
type Kind = Schemas["PushKind"];

export function JiraCard({ id, links, editor, onPushed }: { id: string; links: Link[]; editor: boolean; onPushed: () => void }) {
  const [project, setProject] = useState(() => localStorage.getItem("produck.jiraProject") ?? "");
  const [kind, setKind] = useState<Kind>(links.some((l) => l.kind === "insight") ? "prd" : "insight");
  const [issueType, setIssueType] = useState("Story");
  const { busy, problem, run } = useAction();
  const pushed = new Set(links.map((l) => l.kind));
  if (!editor && links.length === 0) return null;
  return (
    <section class="card">
      <h2>Jira</h2>
      {links.length > 0 && (
        <ul class="jira-links">
          {links.map((l) => (
            <li key={l.jira_key}>
              <a href={l.url} target="_blank" rel="noopener noreferrer">
                {l.jira_key}
                <span class="sr-only"> (opens Jira in a new tab)</span>
              </a>{" "}
              <span class="muted small">
                {l.kind === "prd" ? "the PRD" : "this insight"}, by {l.pushed_by} on {date(l.created_at)}
              </span>
            </li>
          ))}
        </ul>
      )}
      {editor && pushed.size < 2 && (
        <ActionForm
          run={run}
          action={async () => {
            await ok(api.POST("/themes/{insight_id}/push-to-jira", { params: { path: { insight_id: id } }, body: { project_key: project, kind, issue_type: issueType } }));
            localStorage.setItem("produck.jiraProject", project);
            onPushed();
          }}
        >
          <Field id="jira-project" label="Project key" hint="e.g. PROD" error={problem?.fieldMessage("project_key")}>
            <input id="jira-project" required pattern="[A-Z][A-Z0-9_]{0,19}" value={project} onInput={(e) => setProject(e.currentTarget.value.toUpperCase())} />
          </Field>
          <div class="select">
            <label for="jira-kind">Create from</label>
            <select id="jira-kind" value={kind} onChange={(e) => setKind(e.currentTarget.value as Kind)}>
              {!pushed.has("insight") && <option value="insight">This insight</option>}
              {!pushed.has("prd") && <option value="prd">Its PRD</option>}
            </select>
          </div>
          <Field id="jira-type" label="Issue type" error={problem?.fieldMessage("issue_type")}>
            <input id="jira-type" required value={issueType} onInput={(e) => setIssueType(e.currentTarget.value)} />
          </Field>
          <FormEnd label="Push to Jira" busy={busy} problem={problem} />
        </ActionForm>
      )}
    </section>
  );
}
