// The member's own account: their workspaces (switch, and for admins create another) and
// their password.
import { useState } from "preact/hooks";
import { api, ok } from "../api/client";
import { navigate } from "../router";
import { can, loadMe, me, signIns } from "../session";
import { useStore } from "../store";
import { useAction, useLoad } from "../ui/async";
import { ActionForm, Button, Field, FormEnd, ProblemNote } from "../ui/kit";

export function AccountPage() {
  const who = useStore(me);
  if (!who) return null;
  return (
    <section class="page account-page">
      <header class="page-head">
        <div>
          <h1>Your account</h1>
          <p class="muted">{who.user?.email ?? (who.auth === "disabled" ? "Local mode: no account" : "API key")}</p>
        </div>
      </header>
      <div class="stack-lg">
        <Workspaces />
        {who.auth === "session" && <ChangePassword />}
      </div>
    </section>
  );
}

/** Moves this console session to another workspace, then reloads everything for it. */
export async function switchWorkspace(id: string) {
  await ok(api.POST("/auth/session/switch", { body: { workspace_id: id } }));
  await loadMe();
  signIns.set(signIns.get() + 1);
  navigate("/");
}

function Workspaces() {
  const who = useStore(me);
  const list = useLoad((signal) => ok(api.GET("/auth/workspaces", { signal })), []);
  const action = useAction();
  const canSwitch = who && who.auth === "session";
  return (
    <div class="card stack">
      <h2>Workspaces</h2>
      <p class="muted small">Each workspace has its own feedback, themes, members and settings.</p>
      <ProblemNote problem={action.problem ?? list.error} />
      {list.data && (
        <ul class="plain-list" aria-label="Your workspaces">
          {list.data.map((w) => (
            <li key={w.id} class="row-between">
              <span>
                <strong>{w.name}</strong> <span class="muted small">· {w.role}</span>
                {w.current && <span class="badge badge-current">current</span>}
              </span>
              {!w.current && canSwitch && (
                <Button variant="secondary" busy={action.busy} onClick={() => action.run(() => switchWorkspace(w.id))} aria-label={`Switch to ${w.name}`}>
                  Switch
                </Button>
              )}
            </li>
          ))}
        </ul>
      )}
      {can(who, "admin") && who && who.auth === "session" && <CreateWorkspace onCreated={list.reload} />}
    </div>
  );
}

function CreateWorkspace({ onCreated }: { onCreated: () => void }) {
  const [name, setName] = useState("");
  const [created, setCreated] = useState<{ id: string; name: string } | null>(null);
  const { busy, problem, run } = useAction();
  return (
    <ActionForm
      run={run}
      action={async () => {
        const ws = await ok(api.POST("/workspaces", { body: { name } }));
        setCreated({ id: ws.id, name: ws.name });
        setName("");
        onCreated();
      }}
    >
      <Field id="workspace-name" label="New workspace" hint="You become its first admin; add members after switching to it." error={problem?.fieldMessage("name")}>
        <input id="workspace-name" required maxLength={200} value={name} onInput={(e) => setName(e.currentTarget.value)} />
      </Field>
      <FormEnd
        label="Create workspace"
        busy={busy}
        problem={problem}
        status={
          created && (
            <>
              {created.name} was created.{" "}
              <Button variant="ghost" onClick={() => run(() => switchWorkspace(created.id))}>
                Switch to it
              </Button>
            </>
          )
        }
      />
    </ActionForm>
  );
}

function ChangePassword() {
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [again, setAgain] = useState("");
  const [done, setDone] = useState(false);
  const { busy, problem, run } = useAction();
  const mismatch = again.length > 0 && again !== next;
  return (
    <form
      class="card form-grid"
      onSubmit={(e) => {
        e.preventDefault();
        if (mismatch) return;
        setDone(false);
        run(async () => {
          await ok(api.POST("/auth/password", { body: { current_password: current, new_password: next } }));
          setCurrent("");
          setNext("");
          setAgain("");
          setDone(true);
        });
      }}
    >
      <h2>Password</h2>
      <Field id="current-password" label="Current password" error={problem?.fieldMessage("current_password")}>
        <input id="current-password" type="password" autoComplete="current-password" required value={current} onInput={(e) => setCurrent(e.currentTarget.value)} />
      </Field>
      <Field id="new-password" label="New password" hint="At least 8 characters." error={problem?.fieldMessage("new_password")}>
        <input id="new-password" type="password" autoComplete="new-password" required minLength={8} value={next} onInput={(e) => setNext(e.currentTarget.value)} />
      </Field>
      <Field id="again-password" label="New password again" error={mismatch ? "The two new passwords differ." : undefined}>
        <input id="again-password" type="password" autoComplete="new-password" required value={again} onInput={(e) => setAgain(e.currentTarget.value)} />
      </Field>
      <FormEnd
        label="Change password"
        busy={busy}
        disabled={mismatch}
        problem={problem}
        status={done && "Password changed. You stay signed in here; every other sign-in has ended."}
      />
    </form>
  );
}
