// How numbers and dates read on every page.
const money = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", notation: "compact", maximumFractionDigits: 1 });
const whole = new Intl.NumberFormat("en-US");

export function acv(value: number | null | undefined): string {
  return money.format(value ?? 0);
}

export function count(value: number | null | undefined): string {
  return whole.format(value ?? 0);
}

export function date(iso: string | null | undefined): string {
  if (!iso) return "";
  return new Date(iso).toLocaleDateString("en-US", { year: "numeric", month: "short", day: "numeric" });
}

export function ago(iso: string | null | undefined): string {
  if (!iso) return "never";
  const secs = Math.max(0, (Date.now() - new Date(iso).getTime()) / 1000);
  if (secs < 60) return "just now";
  const mins = Math.round(secs / 60);
  if (mins < 60) return `${mins} min ago`;
  const hours = Math.round(mins / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.round(hours / 24)} days ago`;
}

export function pct(value: number): string {
  return `${Math.round(value * 100)}%`;
}

export function sentimentWord(s: number): string {
  if (s <= -0.35) return "very negative";
  if (s <= -0.1) return "negative";
  if (s < 0.1) return "neutral";
  if (s < 0.35) return "positive";
  return "very positive";
}

export function trendWord(t: number): string {
  if (t > 0.05) return "rising";
  if (t < -0.05) return "falling";
  return "steady";
}

export const SOURCE_NAMES: Record<string, string> = {
  slack: "Slack",
  jira: "Jira",
  gdoc: "Google Docs",
  zoom: "Zoom",
  upload: "Upload",
  api: "API",
};

export function sourceName(s: string | null | undefined): string {
  return (s && SOURCE_NAMES[s]) || s || "";
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${count(n)} ${n === 1 ? one : many}`;
}
