import { useState } from "preact/hooks";
import { signIn } from "../session";
import { useAction } from "../ui/async";
import { Button, Field, ProblemNote } from "../ui/kit";

export function SignInForm({ email: initial = "" }: { email?: string }) {
  const [email, setEmail] = useState(initial);
  const [password, setPassword] = useState("");
  const { busy, problem, run } = useAction();
  return (
    <form
      class="stack"
      onSubmit={(e) => {
        e.preventDefault();
        run(() => signIn(email, password));
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
