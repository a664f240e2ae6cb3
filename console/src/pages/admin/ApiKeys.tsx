// API keys: create one with a role and an expiry (its secret is shown once), revoke one, and
// connect an AI assistant with one.
import { useState } from "preact/hooks";
import { api, ok, type Schemas } from "../../api/client";
import { useAction, useLoad } from "../../ui/async";
import { date } from "../../ui/format";
import { ActionForm, Button, DataTable, Field, FormEnd, ProblemNote, SecretOnce } from "../../ui/kit";
import { AssistantSetup } from "./AssistantSetup";

type Role = Schemas["Role"];

export function ApiKeys() {
  const list = useLoad((signal) => ok(api.GET("/api-keys", { signal })), []);
  const [created, setCreated] = useState<Schemas["CreatedApiKeyOut"] | null>(null);
  const revoke = useAction();
  return (
    <section class="stack-lg">
      <CreateKey
        onCreated={(k) => {
          setCreated(k);
          list.reload();
        }}
      />
      {created && <NewSecret created={created} onDone={() => setCreated(null)} />}
      {created && <AssistantSetup secret={created.key} />}
      <ProblemNote problem={revoke.problem ?? list.error} />
      {list.data && (
        <DataTable columns={["Key", "Role", "Created", "Last used", "Expires", { label: "Actions", hidden: true }]}>
          {list.data.map((k) => (
            <tr key={k.id} class={k.revoked_at ? "inactive" : ""}>
              <td>
                <strong>{k.name}</strong>
                <div class="mono">{k.prefix}…</div>
              </td>
              <td>{k.role}</td>
              <td class="small">{date(k.created_at)}</td>
              <td class="small">{k.last_used_at ? date(k.last_used_at) : "never"}</td>
              <td class="small">{k.revoked_at ? `revoked ${date(k.revoked_at)}` : k.expires_at ? date(k.expires_at) : "never"}</td>
              <td>
                {!k.revoked_at && (
                  <Button
                    variant="ghost"
                    aria-label={`Revoke ${k.name}`}
                    onClick={() =>
                      revoke.run(async () => {
                        await ok(api.DELETE("/api-keys/{id}", { params: { path: { id: k.id } } }));
                        list.reload();
                      })
                    }
                  >
                    Revoke
                  </Button>
                )}
              </td>
            </tr>
          ))}
        </DataTable>
      )}
      {!created && <AssistantSetup />}
    </section>
  );
}

function CreateKey({ onCreated }: { onCreated: (k: Schemas["CreatedApiKeyOut"]) => void }) {
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role>("viewer");
  const [days, setDays] = useState("90");
  const { busy, problem, run } = useAction();
  return (
    <ActionForm card
      run={run}
      action={async () => {
        const key = await ok(api.POST("/api-keys", { body: { name, role, expires_in_days: days ? Number(days) : null } }));
        setName("");
        onCreated(key);
      }}
    >
      <h2>Create an API key</h2>
      <Field id="key-name" label="Name" hint="What uses it, e.g. “Zapier export”." error={problem?.fieldMessage("name")}>
        <input id="key-name" required value={name} onInput={(e) => setName(e.currentTarget.value)} />
      </Field>
      <div class="select">
        <label for="key-role">Role</label>
        <select id="key-role" value={role} onChange={(e) => setRole(e.currentTarget.value as Role)}>
          {(["viewer", "editor", "admin"] as Role[]).map((r) => (
            <option value={r}>{r}</option>
          ))}
        </select>
      </div>
      <div class="select">
        <label for="key-expiry">Expires</label>
        <select id="key-expiry" value={days} onChange={(e) => setDays(e.currentTarget.value)}>
          <option value="30">in 30 days</option>
          <option value="90">in 90 days</option>
          <option value="365">in a year</option>
          <option value="">never</option>
        </select>
      </div>
      <FormEnd label="Create key" busy={busy} problem={problem} />
    </ActionForm>
  );
}

function NewSecret({ created, onDone }: { created: Schemas["CreatedApiKeyOut"]; onDone: () => void }) {
  return (
    <SecretOnce secret={created.key} testId="new-key" onDone={onDone}>
      <strong>{created.name}</strong> was created. Copy its secret now: it is shown only once.
    </SecretOnce>
  );
}
