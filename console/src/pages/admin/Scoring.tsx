// Scoring weights and segment priorities, with a preview of how the top ten would re-order
// before anything is saved.
import { useEffect, useState } from "preact/hooks";
import { api, ok, type Schemas } from "../../api/client";
import { Link } from "../../router";
import { useAction, useLoad } from "../../ui/async";
import { Button, Note, ProblemNote, Spinner } from "../../ui/kit";

type Weights = Schemas["Weights"];
type Segments = Schemas["SegmentPriorities"];

const WEIGHT_NAMES: [keyof Weights, string][] = [
  ["freq_30d", "Accounts in the last 30 days"],
  ["acv_sum", "ACV behind it"],
  ["segment", "Segment mix"],
  ["sentiment", "Negative sentiment"],
  ["trend", "Rising trend"],
  ["duplicate", "Penalty for overlapping themes"],
];

export function Scoring() {
  const config = useLoad((signal) => ok(api.GET("/admin/config", { signal })), []);
  const [weights, setWeights] = useState<Weights | null>(null);
  const [segments, setSegments] = useState<Segments | null>(null);
  const [preview, setPreview] = useState<Schemas["PreviewOut"] | null>(null);
  const [saved, setSaved] = useState(false);
  const previewing = useAction();
  const saving = useAction();
  useEffect(() => {
    if (config.data && !weights) {
      setWeights(config.data.weights);
      setSegments(config.data.segment_priorities);
    }
  }, [config.data]);
  if (!weights || !segments) return config.error ? <ProblemNote problem={config.error} /> : <Spinner label="Loading the scoring" />;
  const body = { weights: { ...weights }, segment_priorities: { ...segments } };
  const runPreview = () => previewing.run(async () => setPreview(await ok(api.POST("/admin/weights/preview", { body }))));
  const save = () =>
    saving.run(async () => {
      await ok(api.POST("/admin/weights", { body }));
      setSaved(true);
    });
  return (
    <section class="stack-lg">
      <div class="two-col">
        <form
          class="card stack"
          onSubmit={(e) => {
            e.preventDefault();
            runPreview();
          }}
        >
          <h2>Weights</h2>
          <p class="muted small">How much each kind of evidence counts in an insight's score (0 to 1).</p>
          {WEIGHT_NAMES.map(([key, label]) => (
            <div class="slider" key={key}>
              <label for={`w-${key}`}>{label}</label>
              <input id={`w-${key}`} type="range" min="0" max="1" step="0.05" value={weights[key]} onInput={(e) => { setWeights({ ...weights, [key]: Number(e.currentTarget.value) }); setSaved(false); }} />
              <output for={`w-${key}`}>{weights[key].toFixed(2)}</output>
            </div>
          ))}
          <h3>Segment priorities</h3>
          {(["ENT", "MM", "SMB"] as (keyof Segments)[]).map((key) => (
            <div class="slider" key={key}>
              <label for={`s-${key}`}>{key === "ENT" ? "Enterprise" : key === "MM" ? "Mid-market" : "SMB"}</label>
              <input id={`s-${key}`} type="range" min="0" max="1" step="0.05" value={segments[key]} onInput={(e) => { setSegments({ ...segments, [key]: Number(e.currentTarget.value) }); setSaved(false); }} />
              <output for={`s-${key}`}>{segments[key].toFixed(2)}</output>
            </div>
          ))}
          <div class="button-row">
            <Button type="submit" busy={previewing.busy}>
              Preview the top ten
            </Button>
            <Button variant="primary" busy={saving.busy} onClick={save}>
              Save and re-score
            </Button>
          </div>
          <ProblemNote problem={previewing.problem ?? saving.problem} />
          {saved && <Note kind="success">Saved. The board is being re-scored; it changes within a few seconds.</Note>}
        </form>
        <section class="card">
          <h2>Preview</h2>
          {!preview && <p class="muted small">Change a weight and preview: the top ten as they would rank, before anything is saved.</p>}
          {preview && (
            <table class="data preview">
              <thead>
                <tr>
                  <th scope="col">Rank</th>
                  <th scope="col">Insight</th>
                  <th scope="col">Priority</th>
                </tr>
              </thead>
              <tbody>
                {preview.top.map((r) => {
                  const moved = r.current_rank - r.proposed_rank;
                  return (
                    <tr key={r.insight_id}>
                      <td class="num">
                        {r.proposed_rank}{" "}
                        <span class={`move ${moved > 0 ? "up" : moved < 0 ? "down" : ""}`}>
                          {moved > 0 ? `▲${moved}` : moved < 0 ? `▼${-moved}` : "="}
                          <span class="sr-only">{moved > 0 ? ` up ${moved}` : moved < 0 ? ` down ${-moved}` : " unchanged"}</span>
                        </span>
                      </td>
                      <td>
                        <Link to={`/insights/${r.insight_id}`}>{r.title}</Link>
                      </td>
                      <td class="num">
                        {r.current_priority} → <strong>{r.proposed_priority}</strong>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )}
        </section>
      </div>
      <p class="muted small">{config.data?.priority_formula}</p>
    </section>
  );
}
