// The board as pictures: the theme map (insights placed by how alike their feedback is,
// sized by feedback or ACV, coloured by severity) and the top insights' weekly mentions.
import type { ChartConfiguration } from "chart.js";
import { useMemo, useState } from "preact/hooks";
import { api, ok, type Insight } from "../api/client";
import { navigate } from "../router";
import { useLoad } from "../ui/async";
import { ChartView } from "../ui/Chart";
import { acv, count } from "../ui/format";
import { ProblemNote, Spinner } from "../ui/kit";

const SEVERITY_COLOURS: Record<string, string> = {
  critical: "rgba(180, 35, 24, 0.75)",
  high: "rgba(220, 104, 3, 0.7)",
  medium: "rgba(202, 138, 4, 0.65)",
  low: "rgba(2, 132, 199, 0.6)",
};

export function ThemeMap() {
  const [sizeBy, setSizeBy] = useState<"feedback" | "acv">("feedback");
  const map = useLoad((signal) => ok(api.GET("/themes/map", { signal })), []);
  const points = map.data ?? [];
  const config = useMemo<ChartConfiguration>(() => {
    const value = (p: (typeof points)[number]) => (sizeBy === "acv" ? p.total_acv : p.feedback_count);
    const max = Math.max(1, ...points.map(value));
    return {
      type: "bubble",
      data: {
        datasets: [
          {
            label: "Insights",
            data: points.map((p) => ({ x: p.x, y: p.y, r: 6 + 24 * Math.sqrt(value(p) / max) })),
            backgroundColor: points.map((p) => SEVERITY_COLOURS[p.severity] ?? "rgba(67, 56, 202, 0.6)"),
            borderColor: "rgba(255,255,255,0.9)",
            borderWidth: 1,
          },
        ],
      },
      options: {
        layout: { padding: 24 },
        scales: { x: { display: false, min: -1.15, max: 1.15 }, y: { display: false, min: -1.15, max: 1.15 } },
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              label: (c) => {
                const p = points[c.dataIndex];
                return `${p.title} — ${p.severity}, ${count(p.feedback_count)} feedback, ${acv(p.total_acv)}`;
              },
            },
          },
        },
        onClick: (_e, elements) => {
          const hit = elements[0];
          if (hit) navigate(`/insights/${points[hit.index].insight_id}`);
        },
        onHover: (e, elements) => {
          const target = e.native?.target as HTMLElement | undefined;
          if (target) target.style.cursor = elements.length ? "pointer" : "default";
        },
      },
    };
  }, [map.data, sizeBy]);

  return (
    <section class="card pictures" aria-labelledby="map-title">
      <div class="pictures-head">
        <div>
          <h2 id="map-title">Theme map</h2>
          <p class="muted small">Insights whose feedback is worded alike sit close together. Hover for details; click to open.</p>
        </div>
        <div class="select">
          <label for="map-size">Bubble size</label>
          <select id="map-size" value={sizeBy} onChange={(e) => setSizeBy(e.currentTarget.value as "feedback" | "acv")}>
            <option value="feedback">Feedback count</option>
            <option value="acv">ACV</option>
          </select>
        </div>
      </div>
      <ProblemNote problem={map.error} onRetry={map.reload} />
      {!map.data && !map.error && <Spinner label="Drawing the map" />}
      {map.data && (
        <ChartView config={config} height={420} label={`Theme map of ${points.length} insights`} class="theme-map">
          <p class="legend small">
            {Object.entries(SEVERITY_COLOURS).map(([sev, colour]) => (
              <span key={sev}>
                <span class="swatch" style={{ background: colour }} /> {sev}
              </span>
            ))}
          </p>
          <table class="sr-only">
            <caption>Insights on the map, highest priority first</caption>
            <thead>
              <tr>
                <th>Insight</th>
                <th>Severity</th>
                <th>Feedback</th>
                <th>ACV</th>
              </tr>
            </thead>
            <tbody>
              {points.map((p) => (
                <tr key={p.insight_id}>
                  <td>{p.title}</td>
                  <td>{p.severity}</td>
                  <td>{p.feedback_count}</td>
                  <td>{acv(p.total_acv)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </ChartView>
      )}
    </section>
  );
}

const LINE_COLOURS = ["#4338ca", "#b45309", "#047857", "#be185d", "#0369a1"];

/** The top insights of the board as it is filtered, week by week. */
export function Trends({ insights }: { insights: Insight[] }) {
  const top = insights.filter((i) => i.metrics?.weekly_counts.length).slice(0, 5);
  const config = useMemo<ChartConfiguration>(
    () => ({
      type: "line",
      data: {
        labels: Array.from({ length: 12 }, (_, i) => (i === 11 ? "this week" : `${11 - i} wk ago`)),
        datasets: top.map((i, n) => ({
          label: i.title.length > 40 ? `${i.title.slice(0, 38)}…` : i.title,
          data: i.metrics?.weekly_counts ?? [],
          borderColor: LINE_COLOURS[n],
          backgroundColor: LINE_COLOURS[n],
          tension: 0.3,
          pointRadius: 2,
        })),
      },
      options: {
        plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } },
        scales: { y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: "mentions" } } },
      },
    }),
    [insights],
  );
  if (!top.length) return null;
  return (
    <section class="card pictures" aria-labelledby="trends-title">
      <h2 id="trends-title">Trends of the top insights</h2>
      <ChartView config={config} height={260} label={`Weekly mentions of the top ${top.length} insights over 12 weeks`}>
        <table class="sr-only">
          <caption>Weekly mentions, oldest first</caption>
          <tbody>
            {top.map((i) => (
              <tr key={i.id}>
                <th scope="row">{i.title}</th>
                <td>{(i.metrics?.weekly_counts ?? []).join(", ")}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </ChartView>
    </section>
  );
}
