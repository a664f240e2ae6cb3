// A chart drawn by Chart.js into a box of fixed height (so nothing moves when it appears),
// with a text alternative for screen readers and for anyone who prefers numbers.
import type { ChartConfiguration } from "chart.js";
import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";

let loading: Promise<typeof import("./chartjs")> | null = null;
const chartjs = () => (loading ??= import("./chartjs"));

export function ChartView({
  config,
  height,
  label,
  children,
  class: cls,
}: {
  config: ChartConfiguration;
  height: number;
  label: string;
  children?: ComponentChildren;
  class?: string;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    let chart: { destroy(): void } | null = null;
    let cancelled = false;
    // Charts are drawn when the browser is idle, so a page answers clicks before its charts
    // (and the charting code) are ready; the box keeps its size meanwhile.
    const idle = window.requestIdleCallback ?? ((run: () => void) => window.setTimeout(run, 1));
    idle(() => chartjs().then(({ Chart }) => {
      if (cancelled || !canvas.current) return;
      chart = new Chart(canvas.current, { ...config, options: { maintainAspectRatio: false, responsive: true, ...config.options } });
      // Browser tests find points on the canvas through the chart it carries.
      Object.defineProperty(canvas.current, "chart", { value: chart, configurable: true });
    }));
    return () => {
      cancelled = true;
      chart?.destroy();
    };
  }, [config]);
  return (
    <figure class={`chart ${cls ?? ""}`}>
      <div class="chart-box" style={{ height: `${height}px` }}>
        <canvas ref={canvas} role="img" aria-label={label} />
      </div>
      {children}
    </figure>
  );
}
