// The accounts behind the feedback: segment and ACV, editable (a new ACV re-derives the
// segment unless it was set by hand).
import { useState } from "preact/hooks";
import { api, ok, type Schemas } from "../../api/client";
import { useAction, useLoad } from "../../ui/async";
import { acv } from "../../ui/format";
import { Button, ProblemNote } from "../../ui/kit";

type Customer = Schemas["CustomerOut"];

export function Customers() {
  const list = useLoad((signal) => ok(api.GET("/customers/all", { params: { query: { limit: 500 } }, signal })), []);
  return (
    <section class="stack-lg">
      <ProblemNote problem={list.error} onRetry={list.reload} />
      {list.data && (
        <div class="table-card">
          <table class="data">
            <thead>
              <tr>
                <th scope="col">Account</th>
                <th scope="col">Segment</th>
                <th scope="col">ACV</th>
                <th scope="col">
                  <span class="sr-only">Save</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.data.map((c) => (
                <CustomerRow key={c.id} customer={c} onSaved={list.reload} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function CustomerRow({ customer: c, onSaved }: { customer: Customer; onSaved: () => void }) {
  const [value, setValue] = useState(String(c.acv));
  const [segment, setSegment] = useState(c.segment);
  const { busy, problem, run } = useAction();
  const dirty = Number(value) !== c.acv || segment !== c.segment;
  const save = () =>
    run(async () => {
      const body: Schemas["CustomerPatchIn"] = {};
      if (Number(value) !== c.acv) body.acv = Number(value);
      if (segment !== c.segment) body.segment = segment as Schemas["Segment"];
      await ok(api.PATCH("/customers/{customer}", { params: { path: { customer: c.id } }, body }));
      onSaved();
    });
  return (
    <tr>
      <td>
        <strong>{c.name}</strong>
        <div class="muted small">{c.email_domain ?? ""}</div>
        <ProblemNote problem={problem} />
      </td>
      <td>
        <label for={`seg-${c.id}`} class="sr-only">
          Segment of {c.name}
        </label>
        <select id={`seg-${c.id}`} value={segment} onChange={(e) => setSegment(e.currentTarget.value)}>
          <option value="ENT">Enterprise</option>
          <option value="MM">Mid-market</option>
          <option value="SMB">SMB</option>
        </select>
        <div class="muted small">{c.segment_source === "explicit" ? "set by hand" : "from ACV"}</div>
      </td>
      <td>
        <label for={`acv-${c.id}`} class="sr-only">
          ACV of {c.name} in USD
        </label>
        <input id={`acv-${c.id}`} type="number" min="0" step="1000" value={value} onInput={(e) => setValue(e.currentTarget.value)} class="num-input" />
        <div class="muted small">{acv(c.acv)}</div>
      </td>
      <td>
        <Button variant={dirty ? "primary" : "ghost"} disabled={!dirty} busy={busy} onClick={save} aria-label={`Save ${c.name}`}>
          Save
        </Button>
      </td>
    </tr>
  );
}
