// Members of the workspace: add one, change a role, deactivate or reactivate.
import { useState } from "preact/hooks";
import { api, ok, type Schemas } from "../../api/client";
import { me } from "../../session";
import { useStore } from "../../store";
import { useAction, useLoad } from "../../ui/async";
import { ago } from "../../ui/format";
import { ActionForm, Button, DataTable, Field, FormEnd, ProblemNote } from "../../ui/kit";

type Role = Schemas["Role"];
const ROLES: Role[] = ["viewer", "editor", "admin"];

export function Members() {
  const who = useStore(me);
  const list = useLoad((signal) => ok(api.GET("/users", { signal })), []);
  const change = useAction();
  const patch = (id: string, body: Schemas["UserPatch"]) =>
    change.run(async () => {
      await ok(api.PATCH("/users/{id}", { params: { path: { id } }, body }));
      list.reload();
    });
  return (
    <section class="stack-lg">
      <AddMember onAdded={list.reload} />
      <ProblemNote problem={change.problem ?? list.error} />
      {list.data && (
        <DataTable columns={["Member", "Role", "Last sign-in", "Access"]}>
          {list.data.map((u) => {
            const self = who && who.user?.id === u.id;
            return (
              <tr key={u.id} class={u.active ? "" : "inactive"}>
                <td>
                  <strong>{u.display_name || u.email}</strong>
                  {u.display_name && <div class="muted small">{u.email}</div>}
                  {self && <div class="muted small">you</div>}
                </td>
                <td>
                  <label for={`role-${u.id}`} class="sr-only">
                    Role of {u.email}
                  </label>
                  <select id={`role-${u.id}`} value={u.role} disabled={!u.active} onChange={(e) => patch(u.id, { role: e.currentTarget.value as Role })}>
                    {ROLES.map((r) => (
                      <option value={r}>{r}</option>
                    ))}
                  </select>
                </td>
                <td class="muted small">{u.last_login_at ? ago(u.last_login_at) : "never"}</td>
                <td>
                  {u.active ? (
                    <Button variant="ghost" onClick={() => patch(u.id, { active: false })} aria-label={`Deactivate ${u.email}`}>
                      Deactivate
                    </Button>
                  ) : (
                    <Button variant="secondary" onClick={() => patch(u.id, { active: true })} aria-label={`Reactivate ${u.email}`}>
                      Reactivate
                    </Button>
                  )}
                </td>
              </tr>
            );
          })}
        </DataTable>
      )}
      <p class="muted small">A workspace always keeps one active admin: the last one cannot be demoted or deactivated. Deactivating a member ends their sessions and their API keys at once.</p>
    </section>
  );
}

function AddMember({ onAdded }: { onAdded: () => void }) {
  const [email, setEmail] = useState("");
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [role, setRole] = useState<Role>("editor");
  const [added, setAdded] = useState<string | null>(null);
  const { busy, problem, run } = useAction();
  return (
    <ActionForm card
      run={run}
      action={async () => {
        await ok(api.POST("/users", { body: { email, password, role, display_name: name || null } }));
        setAdded(email);
        setEmail("");
        setName("");
        setPassword("");
        onAdded();
      }}
    >
      <h2>Add a member</h2>
      <Field id="new-email" label="Email" error={problem?.fieldMessage("email")}>
        <input id="new-email" type="email" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
      </Field>
      <Field id="new-name" label="Name (optional)">
        <input id="new-name" value={name} onInput={(e) => setName(e.currentTarget.value)} />
      </Field>
      <Field id="new-password" label="First password" hint="At least 8 characters; they can keep it." error={problem?.fieldMessage("password")}>
        <input id="new-password" type="password" autoComplete="new-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
      </Field>
      <div class="select">
        <label for="new-role">Role</label>
        <select id="new-role" value={role} onChange={(e) => setRole(e.currentTarget.value as Role)}>
          {ROLES.map((r) => (
            <option value={r}>{r}</option>
          ))}
        </select>
      </div>
      <FormEnd label="Add member" busy={busy} problem={problem} status={added && `${added} was added.`} />
    </ActionForm>
  );
}
