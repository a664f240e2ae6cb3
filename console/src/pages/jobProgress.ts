// Follows one job to its end through `/jobs/{id}/events`.
import type { Schemas } from "../api/client";
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
