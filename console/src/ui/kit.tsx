// The console's building blocks: one look for buttons, notes, badges and empty states.
import type { ChartConfiguration } from "chart.js";
import type { ComponentChildren, JSX } from "preact";
import { useMemo, useState } from "preact/hooks";
import type { ApiProblem } from "../api/client";
import { sessionEnded } from "../session";
import { useStore } from "../store";
import { ChartView } from "./Chart";

type ButtonProps = JSX.HTMLAttributes<HTMLButtonElement> & {
  variant?: "primary" | "secondary" | "ghost" | "danger";
  busy?: boolean;
  type?: "button" | "submit";
  disabled?: boolean;
};

export function Button({ variant = "secondary", busy, children, class: cls, type = "button", disabled, ...rest }: ButtonProps) {
  return (
    <button
      {...rest}
      type={type}
      class={`btn btn-${variant} ${cls ?? ""}`}
      disabled={disabled || busy}
      aria-busy={busy ? "true" : undefined}
    >
      {busy && <span class="spinner" aria-hidden="true" />}
      {children}
    </button>
  );
}

export function Spinner({ label = "Loading" }: { label?: string }) {
  return (
    <span class="loading" role="status">
      <span class="spinner" aria-hidden="true" />
      {label}
    </span>
  );
}

/** A message as a sentence: capitalised, ending with a full stop. */
export function sentence(text: string): string {
  const t = text.trim();
  if (!t) return t;
  const capital = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?…)]$/.test(capital) ? capital : `${capital}.`;
}

/** An API error, said plainly next to what caused it. */
/** A form's last row: its submit button (with any others), what succeeded, and the problem
 * no field of the form shows. */
export function FormEnd({
  label,
  busy,
  problem,
  status,
  disabled,
  variant = "primary",
  children,
}: {
  label: string;
  busy: boolean;
  problem: ApiProblem | undefined | null;
  status?: ComponentChildren;
  disabled?: boolean;
  variant?: ButtonProps["variant"];
  children?: ComponentChildren;
}) {
  return (
    <>
      <div class="form-actions">
        <Button type="submit" variant={variant} busy={busy} disabled={disabled}>
          {label}
        </Button>
        {children}
        {status && !problem && (
          <span class="muted small" role="status">
            {status}
          </span>
        )}
      </div>
      {problem && !problem.fields.length && <ProblemNote problem={problem} />}
    </>
  );
}

export function ProblemNote({ problem, onRetry }: { problem: ApiProblem | undefined | null; onRetry?: () => void }) {
  const ended = useStore(sessionEnded);
  if (!problem) return null;
  // A refused session is handled by the sign-in dialog; the page only says why it is empty.
  const text = ended && problem.status === 401 ? "Sign in again to see this." : sentence(problem.message);
  return (
    <div class="note note-error" role="alert">
      <span>{text}</span>
      {onRetry && (
        <Button variant="ghost" onClick={onRetry}>
          Try again
        </Button>
      )}
    </div>
  );
}

export function Note({ kind = "info", children }: { kind?: "info" | "success" | "warn"; children: ComponentChildren }) {
  return <div class={`note note-${kind}`}>{children}</div>;
}

export function Empty({ title, children }: { title: string; children?: ComponentChildren }) {
  return (
    <div class="empty">
      <h2>{title}</h2>
      {children}
    </div>
  );
}

export function SeverityBadge({ severity }: { severity: string }) {
  return <span class={`badge sev-${severity}`}>{severity}</span>;
}

export function SegmentChip({ segment }: { segment: string }) {
  const names: Record<string, string> = { ENT: "Enterprise", MM: "Mid-market", SMB: "SMB" };
  return (
    <span class={`chip seg-${segment}`} title={names[segment] ?? segment}>
      {segment}
    </span>
  );
}

export function GeneratedBy({ by, reason }: { by: string; reason?: string | null }) {
  const llm = by === "llm";
  return (
    <span class={`chip ${llm ? "chip-llm" : "chip-template"}`} title={reason ?? undefined}>
      {llm ? "Written by the LLM" : "Written by the template"}
      {reason ? ` (${reason})` : ""}
    </span>
  );
}

/** Weekly mentions as a small line; the numbers are in its label for screen readers. */
export function Sparkline({ values, label }: { values: number[]; label: string }) {
  const config = useMemo<ChartConfiguration>(
    () => ({
      type: "line",
      data: {
        labels: values.map((_, i) => String(i)),
        datasets: [{ data: values, borderColor: "#4338ca", borderWidth: 1.6, pointRadius: 0, tension: 0.3, fill: false }],
      },
      options: {
        plugins: { legend: { display: false }, tooltip: { enabled: false } },
        scales: { x: { display: false }, y: { display: false, beginAtZero: true } },
        events: [],
      },
    }),
    [values.join(",")],
  );
  if (!values.length) return <span class="sparkline-empty" aria-label={`${label}: no data`} />;
  return <ChartView config={config} height={22} label={`${label}: ${values.join(", ")}`} class="sparkline" />;
}

/** Text with **bold** runs (search snippets mark matches so) as <mark>. */
export function Highlighted({ text }: { text: string }) {
  const parts = text.split("**");
  return (
    <>
      {parts.map((p, i) => (i % 2 === 1 ? <mark key={i}>{p}</mark> : p))}
    </>
  );
}

export function Field({ label, hint, error, children, id }: { label: string; hint?: string; error?: string; children: ComponentChildren; id: string }) {
  return (
    <div class={`field ${error ? "field-invalid" : ""}`}>
      <label for={id}>{label}</label>
      {children}
      {hint && !error && <p class="hint">{hint}</p>}
      {error && (
        <p class="field-error" id={`${id}-error`} role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

export function download(filename: string, text: string, type = "text/markdown") {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function EvidenceList({ children }: { children: ComponentChildren }) {
  return <ul class="evidence-list">{children}</ul>;
}

/** A running job's progress: a bar and what it is doing. */
export function Progress({ doing, progress, message }: { doing: string; progress: number; message?: string | null }) {
  return (
    <span class="progress" role="status" aria-live="polite">
      <span class="progress-bar" style={{ width: `${Math.max(3, progress)}%` }} />
      <span>
        {doing}… {progress}% {message ? `· ${message}` : ""}
      </span>
    </span>
  );
}

/** One figure in a row of metrics. */
export function Metric({ label, value, children }: { label: string; value?: string; children?: ComponentChildren }) {
  return (
    <div class="metric">
      <dt>{label}</dt>
      <dd>{children ?? value}</dd>
    </div>
  );
}

/** Previous/next over an offset-paged list. Without a `total`, a full page means there may
 * be more. Hidden while everything fits on the first page. */
export function OffsetPager({ offset, page, shown, total, onChange, label = "Pages" }: { offset: number; page: number; shown: number; total?: number; onChange: (offset: number) => void; label?: string }) {
  const more = total === undefined ? shown === page : offset + page < total;
  if (offset === 0 && !more) return null;
  return (
    <nav class="pager" aria-label={label}>
      <Button disabled={offset === 0} onClick={() => onChange(Math.max(0, offset - page))}>
        Previous
      </Button>
      <span class="muted small">
        {shown ? `${offset + 1}–${offset + shown}` : "none"}
        {total !== undefined ? ` of ${total}` : ""}
      </span>
      <Button disabled={!more} onClick={() => onChange(offset + page)}>
        Next
      </Button>
    </nav>
  );
}

/** A column heading; `hidden` ones are read to screen readers only (an actions column). */
export type Column = string | { label: string; hidden: true };

/** The console's one table: a card, a header row of `columns`, and the rows given. */
export function DataTable({ columns, class: cls, children }: { columns: Column[]; class?: string; children: ComponentChildren }) {
  return (
    <div class="table-card">
      <table class={cls ? `data ${cls}` : "data"}>
        <thead>
          <tr>
            {columns.map((c) =>
              typeof c === "string" ? (
                <th scope="col" key={c}>
                  {c}
                </th>
              ) : (
                <th scope="col" key={c.label}>
                  <span class="sr-only">{c.label}</span>
                </th>
              ),
            )}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}

/** A form whose submit runs `action` through `run` (from `useAction`) instead of navigating. */
export function ActionForm({
  run,
  action,
  card,
  children,
}: {
  run: (action: () => Promise<unknown>) => unknown;
  action: () => Promise<unknown>;
  card?: boolean;
  children: ComponentChildren;
}) {
  return (
    <form
      class={card ? "card form-grid" : "form-grid"}
      onSubmit={(e) => {
        e.preventDefault();
        run(action);
      }}
    >
      {children}
    </form>
  );
}

/** Drop-target events for files: `dragging` while files are over the element. */
export function useDropzone(onFiles: (files: FileList | null) => void) {
  const [dragging, setDragging] = useState(false);
  const handlers = {
    onDragOver: (e: DragEvent) => {
      e.preventDefault();
      setDragging(true);
    },
    onDragLeave: () => setDragging(false),
    onDrop: (e: DragEvent) => {
      e.preventDefault();
      setDragging(false);
      onFiles(e.dataTransfer?.files ?? null);
    },
  };
  return { dragging, handlers };
}

/** Once a dangerous action was asked for: the question, the action itself and Cancel. */
export function Confirm({
  question,
  action,
  busy,
  onConfirm,
  onCancel,
}: {
  question?: ComponentChildren;
  action: string;
  busy?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  return (
    <>
      {question && <span class="small">{question}</span>}
      <Button variant="danger" busy={busy} onClick={onConfirm}>
        {action}
      </Button>
      <Button variant="ghost" onClick={onCancel}>
        Cancel
      </Button>
    </>
  );
}

/** A secret shown this once (an API key, a webhook signing secret): what it is, the value,
 * a copy button, and the PM's word that it is stored. */
export function SecretOnce({ children, secret, testId, onDone }: { children: ComponentChildren; secret: string; testId: string; onDone: () => void }) {
  const [copied, setCopied] = useState(false);
  return (
    <Note kind="success">
      <div class="secret">
        <p>{children}</p>
        <code class="secret-value" data-testid={testId}>
          {secret}
        </code>
        <div class="button-row">
          <Button variant="primary" onClick={async () => setCopied(await copyText(secret))}>
            {copied ? "Copied" : "Copy the secret"}
          </Button>
          <Button variant="ghost" onClick={onDone}>
            I have stored it
          </Button>
        </div>
      </div>
    </Note>
  );
}
