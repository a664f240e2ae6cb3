// Who is signed in. The console never holds a credential: the session is an HttpOnly
// cookie, and only its CSRF token (useless on another site) lives in memory.
import { api, ok, rawFetch, setCsrfToken, type Schemas } from "./api/client";
import { store } from "./store";

export type Me = Schemas["MeOut"];
export type Role = Me["role"];

/** null while unknown, false when signed out. */
export const me = store<Me | null | false>(null);
/** True when a signed-in session ended under a page (shown as a sign-in dialog over it). */
export const sessionEnded = store(false);
/** Counts sign-ins: pages reload their data when it changes, so a page whose requests were
 * refused while the session had ended fills in again once the member is back. */
export const signIns = store(0);

const RANK: Record<string, number> = { viewer: 0, editor: 1, admin: 2 };
export function can(who: Me | null | false, role: "viewer" | "editor" | "admin"): boolean {
  return !!who && (RANK[who.role] ?? -1) >= RANK[role];
}

export async function loadMe(): Promise<void> {
  try {
    const who = await ok(api.GET("/auth/me"));
    setCsrfToken(who.csrf_token);
    me.set(who);
  } catch (e) {
    me.set(false);
    if ((e as { status?: number }).status !== 401) throw e;
  }
}

export async function signIn(email: string, password: string): Promise<void> {
  const res = await ok(api.POST("/auth/session", { body: { email, password } }));
  setCsrfToken(res.csrf_token);
  await loadMe();
  sessionEnded.set(false);
  signIns.set(signIns.get() + 1);
}

export async function signOut(): Promise<void> {
  try {
    await rawFetch("/auth/session", { method: "DELETE" });
  } finally {
    setCsrfToken(null);
    me.set(false);
  }
}
