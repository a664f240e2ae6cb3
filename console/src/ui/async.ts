// Loads data for a page and re-loads when its inputs change; stale answers are dropped.
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { ApiProblem } from "../api/client";
import { signIns } from "../session";
import { useStore } from "../store";

export interface Loaded<T> {
  data?: T;
  error?: ApiProblem;
  loading: boolean;
  reload: () => void;
}

export function useLoad<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: ApiProblem; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  const epoch = useStore(signIns);
  const latest = useRef(0);
  useEffect(() => {
    const id = ++latest.current;
    const controller = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    load(controller.signal).then(
      (data) => id === latest.current && setState({ data, loading: false }),
      (error) => {
        if (id !== latest.current || (error instanceof DOMException && error.name === "AbortError")) return;
        setState((s) => ({ data: s.data, error: error instanceof ApiProblem ? error : new ApiProblem(0, "error", String(error)), loading: false }));
      },
    );
    return () => controller.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick, epoch]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

/** A button's action: busy while it runs, its failure kept to show next to it. */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const run = useCallback(async <T,>(action: () => Promise<T>): Promise<T | undefined> => {
    setBusy(true);
    setProblem(null);
    try {
      return await action();
    } catch (e) {
      setProblem(e instanceof ApiProblem ? e : new ApiProblem(0, "error", String(e)));
      return undefined;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, problem, run };
}
