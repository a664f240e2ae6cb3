// One feedback item as evidence: the words, who said them, where, when, and a link to
// the original when there is one a browser can open.
import type { Feedback } from "../api/client";
import { date, sourceName } from "./format";

/** Only web links are followed; anything else (demo://, javascript:) is shown as text. */
export function webLink(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    const u = new URL(url);
    return u.protocol === "https:" || u.protocol === "http:" ? u.toString() : null;
  } catch {
    return null;
  }
}

export function originalLink(f: Feedback): string | null {
  const meta = (f.meta ?? {}) as Record<string, unknown>;
  return webLink(typeof meta.permalink === "string" ? meta.permalink : null) ?? webLink(f.doc_url);
}

function timeOfDay(iso: string): string {
  return new Date(iso).toLocaleTimeString("en-US", { hour: "2-digit", minute: "2-digit" });
}

export function EvidenceMeta({ f, confidence }: { f: Feedback; confidence?: number }) {
  const meta = (f.meta ?? {}) as Record<string, unknown>;
  const link = originalLink(f);
  const where = typeof meta.channel === "string" ? meta.channel : typeof meta.key === "string" ? meta.key : null;
  return (
    <p class="evidence-meta">
      <span class="chip">{sourceName(f.source)}</span>
      {f.account && <span>{f.account}</span>}
      {f.speaker && <span>{f.speaker}</span>}
      {where && <span>{where}</span>}
      <span>{date(f.created_at)}</span>
      {f.source === "zoom" && f.started_at && <span>at {timeOfDay(f.started_at)}</span>}
      {confidence !== undefined && <span title="Similarity to the theme">{Math.round(confidence * 100)}% match</span>}
      {link && (
        <a href={link} target="_blank" rel="noopener noreferrer">
          Open original<span class="sr-only"> (opens in a new tab)</span>
        </a>
      )}
    </p>
  );
}

/** A quote; with `select`, a tick box picks it for a curation (split off, move). */
export function Quote({ f, id, confidence, select }: { f: Feedback; id?: string; confidence?: number; select?: { checked: boolean; onToggle: () => void } }) {
  return (
    <blockquote class={`quote ${select?.checked ? "quote-selected" : ""}`} id={id}>
      {select && (
        <label class="quote-pick">
          <input type="checkbox" checked={select.checked} onChange={select.onToggle} />
          <span class="sr-only">Select this feedback</span>
        </label>
      )}
      <p>{f.text}</p>
      <EvidenceMeta f={f} confidence={confidence} />
    </blockquote>
  );
}
