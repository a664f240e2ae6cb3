// Follows one job to its end through `/jobs/{id}/events`.
import type { Schemas } from "../api/client";
import { useEffect, useRef, useState } from "preact/hooks";
import { follow } from "../api/sse";

export type Job = Schemas["JobOut"];

/** Calls `onChange` with each state of the job and `onEnd` once with its final state. */
export function followJob(id: string, onChange: (job: Job) => void, onEnd: (job: Job) => void): () => void {
  let stop = () => {};
  const end = (job: Job) => {
    stop();
    onEnd(job);
  };
  stop = follow(`/jobs/${id}/events`, { progress: onChange, completed: end, failed: end, cancelled: end });
  return stop;
}

/** A background job this component started and follows until it ends (stopped on unmount). */
export function useFollowedJob(onEnd: () => void) {
  const [job, setJob] = useState<Job | null>(null);
  const stop = useRef<() => void>();
  useEffect(() => () => stop.current?.(), []);
  const follow = (taskId: string) => {
    setJob({ status: "queued", progress: 0 } as Job);
    stop.current = followJob(taskId, setJob, (j) => {
      setJob(j);
      onEnd();
    });
  };
  const running = !!job && (job.status === "queued" || job.status === "running");
  return { job, running, follow };
}
