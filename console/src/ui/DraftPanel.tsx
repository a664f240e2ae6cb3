// A drafted document (a PRD for an insight or a ticket): draft it, read it rendered, copy it
// or download it as Markdown, and see which path wrote it.
import { useState } from "preact/hooks";
import { useAction } from "./async";
import { Button, copyText, download, GeneratedBy, ProblemNote } from "./kit";
import { Markdown } from "./markdown";

export interface Drafted {
  markdown: string;
  generatedBy?: string;
  reason?: string | null;
  cached?: boolean;
}

export function DraftPanel({ heading, intro, filename, draft }: { heading: string; intro?: string; filename: string; draft: () => Promise<Drafted> }) {
  const [doc, setDoc] = useState<Drafted | null>(null);
  const [copied, setCopied] = useState(false);
  const { busy, problem, run } = useAction();
  return (
    <section class="card">
      <h2>{heading}</h2>
      {!doc && intro && <p class="muted small">{intro}</p>}
      <div class="button-row">
        <Button variant="primary" busy={busy} onClick={() => run(async () => setDoc(await draft()))}>
          {doc ? "Draft again" : "Draft PRD"}
        </Button>
        {doc && (
          <>
            <Button onClick={async () => setCopied(await copyText(doc.markdown))}>{copied ? "Copied" : "Copy"}</Button>
            <Button onClick={() => download(filename, doc.markdown)}>Download .md</Button>
          </>
        )}
      </div>
      <ProblemNote problem={problem} />
      {doc && (
        <>
          {doc.generatedBy && (
            <p>
              <GeneratedBy by={doc.generatedBy} reason={doc.reason} />
              {doc.cached && <span class="muted small"> · from the cache</span>}
            </p>
          )}
          <div class="prd" tabIndex={0} role="region" aria-label={`Drafted ${heading}`}>
            <Markdown source={doc.markdown} />
          </div>
        </>
      )}
    </section>
  );
}
