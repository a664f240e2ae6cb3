// Webhooks: endpoints with the events they receive (the signing secret shown once), a test
// delivery, enable/disable, rotate, delete, and each endpoint's delivery log.
import { useEffect, useState } from "preact/hooks";
import { api, ok, type Schemas } from "../../api/client";
import { useAction, useLoad } from "../../ui/async";
import { date } from "../../ui/format";
import { ActionForm, Button, Confirm, DataTable, Field, FormEnd, ProblemNote, SecretOnce } from "../../ui/kit";

type Endpoint = Schemas["Endpoint"];
type WebhookEvent = Schemas["WebhookEvent"];

const EVENT_TEXT: Record<WebhookEvent, string> = {
  "insight.created": "A new insight appears",
  "insight.priority_changed": "An insight's priority crosses the high-priority line",
  "ticket.priority_gap": "A ticket's priority newly disagrees with its evidence",
  "cluster.completed": "A clustering run completes",
  "sync.failed": "A sync of a connected source fails",
};

export function Webhooks() {
  const list = useLoad((signal) => ok(api.GET("/webhooks", { signal })), []);
  const [secret, setSecret] = useState<{ url: string; secret: string } | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  return (
    <section class="stack-lg">
      <p class="muted">
        Deliveries are signed the Standard Webhooks way (<code>webhook-id</code>, <code>webhook-timestamp</code>, <code>webhook-signature</code>), retried with backoff, and an endpoint that keeps failing is turned off
        and listed in the audit trail. Targets must be https on a public address.
      </p>
      <AddEndpoint
        events={list.data?.events as WebhookEvent[] | undefined}
        onCreated={(url, s) => {
          setSecret({ url, secret: s });
          list.reload();
        }}
      />
      {secret && <NewSecret {...secret} onDone={() => setSecret(null)} />}
      <ProblemNote problem={list.error} onRetry={list.reload} />
      {list.data && list.data.items.length === 0 && <p class="muted">No endpoints yet.</p>}
      {list.data?.items.map((e) => (
        <EndpointCard key={e.id} endpoint={e} open={open === e.id} onToggle={() => setOpen(open === e.id ? null : e.id)} onChanged={list.reload} onSecret={(s) => setSecret({ url: e.url, secret: s })} />
      ))}
    </section>
  );
}

function AddEndpoint({ events, onCreated }: { events?: WebhookEvent[]; onCreated: (url: string, secret: string) => void }) {
  const [url, setUrl] = useState("");
  const [description, setDescription] = useState("");
  const [chosen, setChosen] = useState<WebhookEvent[]>(["insight.created", "insight.priority_changed"]);
  const { busy, problem, run } = useAction();
  return (
    <ActionForm
      card
      run={run}
      action={async () => {
        const created = await ok(api.POST("/webhooks", { body: { url, events: chosen, description } }));
        setUrl("");
        setDescription("");
        onCreated(created.url, created.secret);
      }}
    >
      <h2>Add an endpoint</h2>
      <Field id="hook-url" label="URL" hint="Where each event is POSTed as JSON." error={problem?.fieldMessage("url")}>
        <input id="hook-url" type="url" required placeholder="https://hooks.example.com/produck" value={url} onInput={(e) => setUrl(e.currentTarget.value)} />
      </Field>
      <Field id="hook-description" label="Description" error={problem?.fieldMessage("description")}>
        <input id="hook-description" maxLength={200} placeholder="e.g. Product ops Zapier" value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
      </Field>
      <fieldset class="events">
        <legend>Events</legend>
        {(events ?? (Object.keys(EVENT_TEXT) as WebhookEvent[])).map((ev) => (
          <label class="check" key={ev}>
            <input type="checkbox" checked={chosen.includes(ev)} onChange={(e) => setChosen(e.currentTarget.checked ? [...chosen, ev] : chosen.filter((c) => c !== ev))} />
            <span>
              <code>{ev}</code> <span class="muted small">{EVENT_TEXT[ev]}</span>
            </span>
          </label>
        ))}
      </fieldset>
      <FormEnd label="Add endpoint" busy={busy} problem={problem} disabled={chosen.length === 0} />
    </ActionForm>
  );
}

function NewSecret({ url, secret, onDone }: { url: string; secret: string; onDone: () => void }) {
  return (
    <SecretOnce secret={secret} testId="webhook-secret" onDone={onDone}>
      The signing secret of <strong>{url}</strong>: copy it now, it is shown only once.
    </SecretOnce>
  );
}

function EndpointCard({ endpoint: e, open, onToggle, onChanged, onSecret }: { endpoint: Endpoint; open: boolean; onToggle: () => void; onChanged: () => void; onSecret: (s: string) => void }) {
  const { busy, problem, run } = useAction();
  const [deleting, setDeleting] = useState(false);
  const [tested, setTested] = useState(0);
  const path = { params: { path: { id: e.id } } };
  const events = e.events as string[];
  return (
    <article class="card endpoint">
      <div class="endpoint-head">
        <div>
          <strong class="mono">{e.url}</strong>
          {e.description && <div class="muted small">{e.description}</div>}
          <div class="row-meta">
            {e.disabled_at ? <span class="chip chip-hidden">Disabled</span> : <span class="chip chip-ok">Active</span>}
            {events.map((ev) => (
              <span class="chip" key={ev}>
                {ev}
              </span>
            ))}
          </div>
          {e.disabled_reason && <p class="small warn-text">{e.disabled_reason}</p>}
        </div>
        <div class="button-row">
          <Button
            busy={busy}
            onClick={() =>
              run(async () => {
                await ok(api.POST("/webhooks/{id}/test", path));
                setTested((n) => n + 1);
                if (!open) onToggle();
              })
            }
          >
            Send test
          </Button>
          <Button busy={busy} onClick={() => run(async () => (await ok(api.PATCH("/webhooks/{id}", { ...path, body: { enabled: !!e.disabled_at } })), onChanged()))}>
            {e.disabled_at ? "Enable" : "Disable"}
          </Button>
          <Button busy={busy} onClick={() => run(async () => onSecret((await ok(api.POST("/webhooks/{id}/rotate-secret", path))).secret))}>
            Rotate secret
          </Button>
          {deleting ? (
            <Confirm question="Deliveries stop and the log goes." action="Delete" busy={busy} onConfirm={() => run(async () => (await ok(api.DELETE("/webhooks/{id}", path)), onChanged()))} onCancel={() => setDeleting(false)} />
          ) : (
            <Button variant="ghost" onClick={() => setDeleting(true)}>
              Delete
            </Button>
          )}
          <Button variant="ghost" aria-expanded={open} onClick={onToggle}>
            {open ? "Hide deliveries" : "Deliveries"}
          </Button>
        </div>
      </div>
      <ProblemNote problem={problem} />
      {open && <DeliveryLog id={e.id} refresh={tested} />}
    </article>
  );
}

function DeliveryLog({ id, refresh }: { id: string; refresh: number }) {
  const log = useLoad((signal) => ok(api.GET("/webhooks/{id}/deliveries", { params: { path: { id }, query: { limit: 20 } }, signal })), [id, refresh]);
  const pending = log.data?.items.some((d) => d.status === "pending" || d.status === "retrying");
  // While a delivery is on its way, look again shortly.
  useLoadAgain(pending, log.reload, log.data);
  if (log.error) return <ProblemNote problem={log.error} onRetry={log.reload} />;
  if (!log.data) return null;
  if (log.data.items.length === 0) return <p class="muted small">No deliveries yet.</p>;
  return (
    <DataTable columns={["Event", "Status", "Attempts", "HTTP", "Time", "Sent", "Error"]}>
      {log.data.items.map((d) => (
        <tr key={d.id}>
          <td>
            <code>{d.event}</code>
          </td>
          <td>
            <span class={`chip ${d.status === "delivered" ? "chip-ok" : d.status === "failed" || d.status === "refused" ? "chip-hidden" : ""}`}>{d.status}</span>
          </td>
          <td class="num">{d.attempts}</td>
          <td class="num">{d.last_status_code ?? "—"}</td>
          <td class="num">{d.last_response_ms != null ? `${d.last_response_ms} ms` : "—"}</td>
          <td class="small">{date(d.last_attempt_at ?? d.created_at)}</td>
          <td class="small">{d.last_error ?? ""}</td>
        </tr>
      ))}
    </DataTable>
  );
}

/** Reloads a second after each answer while `when` holds. */
function useLoadAgain(when: boolean | undefined, reload: () => void, answer: unknown) {
  useEffect(() => {
    if (!when) return;
    const timer = setTimeout(reload, 1000);
    return () => clearTimeout(timer);
  }, [when, answer]);
}
