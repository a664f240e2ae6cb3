import { useState } from "preact/hooks";
import { ApiProblem } from "../api/client";
import { signIn } from "../session";
import { Button, Field, ProblemNote } from "../ui/kit";

export function SignInForm({ email: initial = "" }: { email?: string }) {
  const [email, setEmail] = useState(initial);
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  return (
    <form
      class="stack"
      onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        setProblem(null);
        try {
          await signIn(email, password);
        } catch (err) {
          setProblem(err as ApiProblem);
        } finally {
          setBusy(false);
        }
      }}
    >
      <Field id="email" label="Email" error={problem?.fieldMessage("email")}>
        <input id="email" type="email" autoComplete="username" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
      </Field>
      <Field id="password" label="Password" error={problem?.fieldMessage("password")}>
        <input id="password" type="password" autoComplete="current-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
      </Field>
      {problem && !problem.fields.length && <ProblemNote problem={problem} />}
      <Button type="submit" variant="primary" busy={busy}>
        Sign in
      </Button>
    </form>
  );
}
