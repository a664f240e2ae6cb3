// "Last clustered … ago" and the Run clustering button with live progress.
import { useEffect, useRef, useState } from "preact/hooks";
import { api, ok, type ApiProblem, type Schemas } from "../api/client";
import { follow } from "../api/sse";
import { can, me } from "../session";
import { useStore } from "../store";
import { useLoad } from "../ui/async";
import { ago } from "../ui/format";
import { Button, ProblemNote, Progress } from "../ui/kit";

type Status = Schemas["ClusterStatusOut"];

/** `status` when the page already loaded it; otherwise the control loads it itself. */
export function ClusterControl({ status, onDone }: { status?: Status; onDone: () => void }) {
  const who = useStore(me);
  const [live, setLive] = useState<Status | undefined>(undefined);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const own = useLoad((signal) => (status ? Promise.resolve(undefined) : ok(api.GET("/cluster/status", { signal }))), [!!status]);
  const current = live ?? status ?? own.data;
  const running = !!current?.is_running;

  const runningAtLoad = !!(status ?? own.data)?.is_running;
  useEffect(() => {
    if (!runningAtLoad || live) return;
    return watch();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [runningAtLoad]);

  const stop = useRef<(() => void) | null>(null);
  useEffect(() => () => stop.current?.(), []);

  function watch() {
    stop.current?.();
    stop.current = follow("/cluster/events", {
      status: (s: Status) => setLive(s),
      end: (s: Status) => {
        setLive(s);
        stop.current?.();
        stop.current = null;
        onDone();
      },
    });
    return () => stop.current?.();
  }

  async function run() {
    setProblem(null);
    try {
      await ok(api.POST("/cluster/run"));
      setLive({ is_running: true, status: "queued", progress: 0, message: "Queued" } as Status);
      watch();
    } catch (e) {
      setProblem(e as ApiProblem);
    }
  }

  const last = current?.completed_at;
  return (
    <div class="cluster-control">
      <div class="cluster-line">
        {running ? (
          <Progress doing="Clustering" progress={current?.progress ?? 0} message={current?.message} />
        ) : (
          <span class="muted small" title={last ?? undefined}>
            {current?.status === "failed" ? `Last clustering failed: ${current.error ?? "see the job log"}` : `Last clustered ${ago(last)}`}
            {current?.status === "completed" && current.themes_created != null ? ` · ${current.themes_created} themes` : ""}
          </span>
        )}
        {can(who, "editor") && (
          <Button variant="primary" onClick={run} busy={running} disabled={running}>
            {running ? "Clustering" : "Run clustering"}
          </Button>
        )}
      </div>
      <ProblemNote problem={problem} />
    </div>
  );
}
