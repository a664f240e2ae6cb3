// The one way pages talk to the API: typed by the committed OpenAPI spec (schema.d.ts is
// generated from it), same-origin with the session cookie, the CSRF token on every change,
// and one error type whose message is the API's own `detail`.
import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "./schema";

export type Schemas = components["schemas"];
export type Insight = Schemas["InsightView"];
export type Feedback = Schemas["FeedbackOut"];

/** The query parameters of a GET path, as the spec types them. */
export type Query<P extends keyof paths> = paths[P] extends { get: { parameters: { query?: infer Q } } } ? NonNullable<Q> : never;

/** `value` when it is one of `choices` (the values the spec allows for a parameter), else
 * undefined: a hand-edited URL or stale state never sends what the API refuses. */
export function choice<T extends string>(value: string | null | undefined, choices: readonly T[]): T | undefined {
  return choices.find((c) => c === value);
}

let csrfToken: string | null = null;

export function setCsrfToken(token: string | null | undefined) {
  csrfToken = token ?? null;
}

export function csrfHeaders(): Record<string, string> {
  return csrfToken ? { "X-CSRF-Token": csrfToken } : {};
}

/** Listeners told when the API says the session ended (401) or the network is gone. */
type Signal = "session-ended" | "offline" | "online";
const listeners = new Set<(s: Signal) => void>();
export function onSignal(fn: (s: Signal) => void) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}
export function emit(s: Signal) {
  listeners.forEach((fn) => fn(s));
}

/** A problem+json answer (or a lost connection) as something a page can show. */
export class ApiProblem extends Error {
  status: number;
  code: string;
  fields: Schemas["FieldError"][];
  constructor(status: number, code: string, detail: string, fields: Schemas["FieldError"][] = []) {
    super(detail);
    this.status = status;
    this.code = code;
    this.fields = fields;
  }
  /** The message for one input, when the API named it (422). */
  fieldMessage(name: string): string | undefined {
    return this.fields.find((f) => f.loc[f.loc.length - 1] === name)?.msg;
  }
}

export function offlineProblem(): ApiProblem {
  return new ApiProblem(0, "offline", "Can't reach ProduckAI. Check your connection; nothing you typed is lost.");
}

/** The problem an error answer carries (its parsed body when there is one). */
export function problemOf(res: Response, body: unknown): ApiProblem {
  const p = (body && typeof body === "object" ? body : {}) as Partial<Schemas["Problem"]>;
  if (typeof p.detail === "string") return new ApiProblem(res.status, p.code ?? "error", p.detail, p.errors ?? []);
  return new ApiProblem(res.status, "error", `The server answered ${res.status} ${res.statusText}`.trim());
}

export async function problemFrom(res: Response): Promise<ApiProblem> {
  return problemOf(res, await res.json().catch(() => null));
}

const session: Middleware = {
  onRequest({ request }) {
    if (request.method !== "GET" && request.method !== "HEAD" && csrfToken) {
      request.headers.set("X-CSRF-Token", csrfToken);
    }
    return request;
  },
  onResponse({ response, request }) {
    emit("online");
    if (response.status === 401 && !request.url.endsWith("/auth/session")) {
      emit("session-ended");
    }
    return response;
  },
};

export const api = createClient<paths>({ baseUrl: window.location.origin, credentials: "same-origin" });
api.use(session);

/** Awaits an openapi-fetch call and returns its data, or throws an ApiProblem. */
export async function ok<T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  let result;
  try {
    result = await call;
  } catch (e) {
    if (e instanceof DOMException && e.name === "AbortError") throw e;
    emit("offline");
    throw offlineProblem();
  }
  if (result.response.ok) return result.data as T;
  throw problemOf(result.response, result.error);
}

/** A plain fetch with the same session rules, for what openapi-fetch does not cover
 * (multipart uploads, streams). */
export async function rawFetch(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  const method = (init.method ?? "GET").toUpperCase();
  if (method !== "GET" && csrfToken) headers.set("X-CSRF-Token", csrfToken);
  let res: Response;
  try {
    res = await fetch(path, { ...init, headers, credentials: "same-origin" });
  } catch (e) {
    if (e instanceof DOMException && e.name === "AbortError") throw e;
    emit("offline");
    throw offlineProblem();
  }
  emit("online");
  if (res.status === 401) emit("session-ended");
  if (!res.ok) throw await problemFrom(res);
  return res;
}
