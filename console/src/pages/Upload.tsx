// Uploading feedback files: drop several, watch each one go from stored to parsed to
// embedded, read any failure in plain words, then run clustering.
import { useEffect, useRef, useState } from "preact/hooks";
import { api, ok, rawFetch, type ApiProblem, type Schemas } from "../api/client";
import { follow } from "../api/sse";
import { Link } from "../router";
import { can, me } from "../session";
import { useStore } from "../store";
import { useLoad } from "../ui/async";
import { count } from "../ui/format";
import { Button, Empty, ProblemNote, useDropzone } from "../ui/kit";
import { ClusterControl } from "./clustering";

type Stage = "waiting" | "stored" | "parsing" | "items" | "embedded" | "failed";
const STAGES: Stage[] = ["stored", "parsing", "items", "embedded"];
const STAGE_NAMES: Record<Stage, string> = {
  waiting: "Waiting to upload",
  stored: "Stored",
  parsing: "Parsing",
  items: "Items stored",
  embedded: "Embedded",
  failed: "Failed",
};

interface Row {
  key: string;
  file: File;
  stage: Stage;
  detail: string;
  jobId?: string;
  items?: number;
}

export function UploadPage() {
  const who = useStore(me);
  const formats = useLoad((signal) => ok(api.GET("/upload/upload/supported-formats", { signal })), []);
  const [rows, setRows] = useState<Row[]>([]);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [embedding, setEmbedding] = useState<"idle" | "running" | "done">("idle");
  const drop = useDropzone(add);
  const stops = useRef<(() => void)[]>([]);
  const picker = useRef<HTMLInputElement>(null);
  useEffect(() => () => stops.current.forEach((s) => s()), []);

  if (!can(who, "editor")) {
    return (
      <section class="page">
        <Empty title="Uploading needs the editor role">Ask an admin of your workspace to make you an editor.</Empty>
      </section>
    );
  }

  const patch = (key: string, change: Partial<Row>) => setRows((rs) => rs.map((r) => (r.key === key ? { ...r, ...change } : r)));

  function add(files: FileList | null) {
    if (!files) return;
    const fresh = Array.from(files).map((file, i) => ({ key: `${Date.now()}-${i}-${file.name}`, file, stage: "waiting" as Stage, detail: `${(file.size / 1024).toFixed(0)} KB` }));
    setRows((rs) => [...rs, ...fresh]);
    setEmbedding("idle");
  }

  async function upload() {
    const pending = rows.filter((r) => r.stage === "waiting");
    if (!pending.length) return;
    setBusy(true);
    setProblem(null);
    const form = new FormData();
    pending.forEach((r) => form.append("files", r.file, r.file.name));
    try {
      const res = await rawFetch("/upload/upload-feedback", { method: "POST", body: form, headers: { Prefer: "respond-async" } });
      const out = (await res.json()) as Schemas["UploadOut"];
      const remaining = [...pending];
      for (const f of out.files) {
        const i = remaining.findIndex((r) => r.file.name === f.filename);
        if (i < 0) continue;
        const row = remaining.splice(i, 1)[0];
        patch(row.key, { stage: "stored", detail: "Stored, waiting for a worker", jobId: f.job_id });
        watchJob(row.key, f.job_id);
      }
      for (const e of out.errors) {
        const i = remaining.findIndex((r) => r.file.name === e.filename);
        if (i < 0) continue;
        const row = remaining.splice(i, 1)[0];
        patch(row.key, { stage: "failed", detail: e.error });
      }
    } catch (e) {
      setProblem(e as ApiProblem);
    } finally {
      setBusy(false);
    }
  }

  function watchJob(key: string, jobId: string) {
    const stop = follow(`/jobs/${jobId}/events`, {
      progress: (j: Schemas["JobOut"]) => {
        if (j.status === "running") patch(key, { stage: j.progress >= 60 ? "items" : "parsing", detail: j.message ?? "Parsing" });
      },
      completed: (j: Schemas["JobOut"]) => {
        const items = Number((j.result as { items?: number } | null)?.items ?? 0);
        patch(key, { stage: "items", items, detail: `${count(items)} feedback items stored; embedding` });
        stop();
        setEmbedding("running");
      },
      failed: (j: Schemas["JobOut"]) => {
        patch(key, { stage: "failed", detail: j.error ?? "The file could not be processed" });
        stop();
      },
      cancelled: () => {
        patch(key, { stage: "failed", detail: "The job was cancelled" });
        stop();
      },
    });
    stops.current.push(stop);
  }

  // When files are stored, follow the workspace's embedding job until it has caught up.
  useEffect(() => {
    if (embedding !== "running") return;
    if (rows.some((r) => r.stage === "stored" || r.stage === "parsing")) return;
    let stop = () => {};
    let cancelled = false;
    (async () => {
      const page = await ok(api.GET("/jobs", { params: { query: { kind: "embed", limit: 1 } } })).catch(() => null);
      const job = page?.jobs[0];
      const done = () => {
        if (cancelled) return;
        setRows((rs) => rs.map((r) => (r.stage === "items" ? { ...r, stage: "embedded", detail: `${count(r.items ?? 0)} feedback items, embedded` } : r)));
        setEmbedding("done");
      };
      if (!job || ["completed", "failed", "cancelled"].includes(job.status)) return done();
      stop = follow(`/jobs/${job.id}/events`, { completed: done, failed: done, cancelled: done });
    })();
    return () => {
      cancelled = true;
      stop();
    };
  }, [embedding, rows.map((r) => r.stage).join()]);

  const supported = formats.data?.supported_formats ?? [];
  const accept = supported.flatMap((f) => f.extensions).join(",");
  const waiting = rows.filter((r) => r.stage === "waiting").length;
  const finished = rows.length > 0 && rows.every((r) => r.stage === "embedded" || r.stage === "failed");
  const anyEmbedded = rows.some((r) => r.stage === "embedded");

  return (
    <section class="page">
      <div class="page-head">
        <div>
          <h1>Upload feedback</h1>
          <p class="muted">Interview notes, survey exports, support tickets, call transcripts and recordings.</p>
        </div>
      </div>
      <div class={`dropzone ${drop.dragging ? "dropzone-on" : ""}`} {...drop.handlers}>
        <p class="dropzone-title">Drop files here</p>
        <p class="muted small">or</p>
        <Button onClick={() => picker.current?.click()}>Choose files</Button>
        <label for="files" class="sr-only">
          Files to upload
        </label>
        <input id="files" ref={picker} type="file" multiple accept={accept} class="sr-only" onChange={(e) => { add(e.currentTarget.files); e.currentTarget.value = ""; }} />
        {formats.data && (
          <p class="muted small formats">
            {supported.map((f) => f.extensions.join(" ")).join(" · ")} — up to {formats.data.max_files_per_upload} files, {formats.data.max_file_size} each
          </p>
        )}
      </div>
      <ProblemNote problem={problem} />
      {rows.length > 0 && (
        <ul class="uploads">
          {rows.map((r) => (
            <li key={r.key} class={`upload upload-${r.stage}`}>
              <div class="upload-name">
                <strong>{r.file.name}</strong>
                <span class={`stage stage-${r.stage}`} data-stage={r.stage}>
                  {STAGE_NAMES[r.stage]}
                </span>
              </div>
              {r.stage !== "waiting" && r.stage !== "failed" && (
                <ol class="stages" aria-label={`Progress of ${r.file.name}`}>
                  {STAGES.map((s) => (
                    <li key={s} class={STAGES.indexOf(s) <= STAGES.indexOf(r.stage) ? "done" : ""}>
                      {STAGE_NAMES[s]}
                    </li>
                  ))}
                </ol>
              )}
              <p class={r.stage === "failed" ? "field-error" : "muted small"} role={r.stage === "failed" ? "alert" : undefined}>
                {r.detail}
              </p>
            </li>
          ))}
        </ul>
      )}
      <div class="button-row">
        <Button variant="primary" onClick={upload} busy={busy} disabled={!waiting}>
          {waiting ? `Upload ${waiting} file${waiting === 1 ? "" : "s"}` : "Upload"}
        </Button>
        {rows.length > 0 && !busy && (
          <Button variant="ghost" onClick={() => setRows(rows.filter((r) => r.stage !== "waiting" && r.stage !== "embedded" && r.stage !== "failed"))}>
            Clear the list
          </Button>
        )}
      </div>
      {finished && anyEmbedded && (
        <div class="card next-step">
          <h2>All files are in</h2>
          <p>Run clustering to turn the new feedback into insights, then look at the <Link to="/">board</Link>.</p>
          <ClusterControl onDone={() => {}} />
        </div>
      )}
    </section>
  );
}
