// Client-side routes under /app: the address bar is the page's state, so filters and
// pages survive reloads and can be shared as links.
import type { ComponentChildren, JSX } from "preact";
import { store, useStore } from "./store";

export const BASE = "/app";

interface Location {
  path: string; // below BASE, starting with "/"
  query: URLSearchParams;
}

function read(): Location {
  const path = window.location.pathname.startsWith(BASE)
    ? window.location.pathname.slice(BASE.length) || "/"
    : "/";
  return { path, query: new URLSearchParams(window.location.search) };
}

const location = store<Location>(read());
window.addEventListener("popstate", () => location.set(read()));

export function useLocation(): Location {
  return useStore(location);
}

export function navigate(to: string, opts: { replace?: boolean } = {}) {
  const url = to.startsWith(BASE) ? to : BASE + to;
  if (opts.replace) window.history.replaceState(null, "", url);
  else window.history.pushState(null, "", url);
  location.set(read());
  if (!opts.replace) window.scrollTo(0, 0);
}

/** Changes query parameters of the current page (empty values are removed). */
export function setQuery(changes: Record<string, string | null | undefined>, opts = { replace: false }) {
  const { path, query } = read();
  for (const [k, v] of Object.entries(changes)) {
    if (v === null || v === undefined || v === "") query.delete(k);
    else query.set(k, v);
  }
  const qs = query.toString();
  navigate(path + (qs ? `?${qs}` : ""), opts);
}

export function href(to: string): string {
  return BASE + to;
}

type LinkProps = JSX.HTMLAttributes<HTMLAnchorElement> & { to: string; children: ComponentChildren };

export function Link({ to, children, ...rest }: LinkProps) {
  return (
    <a
      {...rest}
      href={href(to)}
      onClick={(e) => {
        if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
        e.preventDefault();
        navigate(to);
      }}
    >
      {children}
    </a>
  );
}

/** Matches "/insights/:id" against a path; returns the parameters or null. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const p = pattern.split("/").filter(Boolean);
  const s = path.split("/").filter(Boolean);
  if (p.length !== s.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    if (p[i].startsWith(":")) params[p[i].slice(1)] = decodeURIComponent(s[i]);
    else if (p[i] !== s[i]) return null;
  }
  return params;
}
