// The accounts behind the feedback: segment and ACV, editable (a new ACV re-derives the
// segment unless it was set by hand).
import { useState } from "preact/hooks";
import { api, ok, type Schemas } from "../../api/client";
import { Link } from "../../router";
import { useAction, useLoad } from "../../ui/async";
import { acv } from "../../ui/format";
import { ActionForm, Button, DataTable, Field, FormEnd, ProblemNote } from "../../ui/kit";

type Customer = Schemas["CustomerOut"];

export function Customers() {
  const list = useLoad((signal) => ok(api.GET("/customers/all", { params: { query: { limit: 500 } }, signal })), []);
  return (
    <section class="stack-lg">
      <AddCustomer onAdded={list.reload} />
      <ProblemNote problem={list.error} onRetry={list.reload} />
      {list.data && (
        <DataTable columns={["Account", "Segment", "ACV", { label: "Save", hidden: true }]}>
          {list.data.map((c) => (
            <CustomerRow key={c.id} customer={c} onSaved={list.reload} />
          ))}
        </DataTable>
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
        <AccountInsights name={c.name} />
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

function AddCustomer({ onAdded }: { onAdded: () => void }) {
  const [name, setName] = useState("");
  const [value, setValue] = useState("");
  const [domain, setDomain] = useState("");
  const { busy, problem, run } = useAction();
  return (
    <ActionForm card
      run={run}
      action={async () => {
        await ok(api.POST("/customers", { body: { name, acv: value ? Number(value) : null, email_domain: domain || null } }));
        setName("");
        setValue("");
        setDomain("");
        onAdded();
      }}
    >
      <h2>Add an account</h2>
      <Field id="c-name" label="Account name" error={problem?.fieldMessage("name")}>
        <input id="c-name" required value={name} onInput={(e) => setName(e.currentTarget.value)} />
      </Field>
      <Field id="c-acv" label="ACV (USD)" hint="The segment follows from it unless you set one." error={problem?.fieldMessage("acv")}>
        <input id="c-acv" type="number" min="0" step="1000" value={value} onInput={(e) => setValue(e.currentTarget.value)} />
      </Field>
      <Field id="c-domain" label="Email domain (optional)" hint="Feedback from this domain is linked to the account." error={problem?.fieldMessage("email_domain")}>
        <input id="c-domain" value={domain} onInput={(e) => setDomain(e.currentTarget.value)} />
      </Field>
      <FormEnd label="Add account" busy={busy} problem={problem} />
    </ActionForm>
  );
}

/** The insights an account's feedback supports, on demand. */
function AccountInsights({ name }: { name: string }) {
  const [open, setOpen] = useState(false);
  const list = useLoad(
    (signal) => (open ? ok(api.GET("/customers/{customer}/insights", { params: { path: { customer: name } }, signal })) : Promise.resolve(undefined)),
    [open, name],
  );
  return (
    <details class="small" onToggle={(e) => setOpen((e.currentTarget as HTMLDetailsElement).open)}>
      <summary>Insights</summary>
      {list.data && list.data.insights.length === 0 && <p class="muted">None yet.</p>}
      <ul>
        {list.data?.insights.map((i) => (
          <li key={i.id}>
            <Link to={`/insights/${i.id}`}>{i.title}</Link> <span class="muted">P{i.priority_score}</span>
          </li>
        ))}
      </ul>
    </details>
  );
}
