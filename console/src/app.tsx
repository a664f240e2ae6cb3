// The shell: who is signed in, the navigation, the page for the address, the copilot
// panel, and the notices for a lost connection or an ended session (shown over the page,
// so nothing typed on it is lost).
import { useEffect, useRef, useState } from "preact/hooks";
import { onSignal } from "./api/client";
import { Copilot, copilotOpen, copilotInsight } from "./copilot/Copilot";
import { AccountPage } from "./pages/Account";
import { AdminPage } from "./pages/admin/Admin";
import { BoardPage } from "./pages/Board";
import { CompetitivePage } from "./pages/Competitive";
import { FeedbackPage } from "./pages/Feedback";
import { InsightPage } from "./pages/Insight";
import { IntegrationsPage } from "./pages/Integrations";
import { SignInForm } from "./pages/SignIn";
import { TicketPage } from "./pages/Ticket";
import { TicketsPage } from "./pages/Tickets";
import { UploadPage } from "./pages/Upload";
import { Link, match, useLocation } from "./router";
import { can, loadMe, me, sessionEnded, signOut } from "./session";
import { useStore } from "./store";
import { Button, Spinner } from "./ui/kit";

export function App() {
  const who = useStore(me);
  const ended = useStore(sessionEnded);
  const [offline, setOffline] = useState(false);

  useEffect(() => {
    loadMe().catch(() => setOffline(true));
    return onSignal((s) => {
      if (s === "offline") setOffline(true);
      if (s === "online") setOffline(false);
      if (s === "session-ended" && me.get()) sessionEnded.set(true);
    });
  }, []);

  if (who === null) {
    return (
      <main class="center-page">
        {offline ? <p role="alert">Can't reach ProduckAI. Retrying when you reload the page.</p> : <Spinner label="Opening ProduckAI" />}
      </main>
    );
  }
  if (who === false) {
    return (
      <main class="center-page">
        <div class="signin-card">
          <Logo />
          <h1>Sign in to ProduckAI</h1>
          <p class="muted">Customer evidence, ranked into product decisions.</p>
          <SignInForm />
        </div>
      </main>
    );
  }
  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <Header />
      {offline && (
        <div class="banner banner-warn" role="alert">
          Can't reach ProduckAI right now. Your work on this page is kept; actions will work again once the connection is back.
        </div>
      )}
      <div class="layout">
        <main id="main" tabIndex={-1}>
          <Routes />
        </main>
        <Copilot />
      </div>
      {ended && (
        <div class="dialog-backdrop">
          <div class="dialog" role="dialog" aria-modal="true" aria-labelledby="ended-title">
            <h2 id="ended-title">Your session has ended</h2>
            <p class="muted">Sign in again to continue. What you typed on this page is still here.</p>
            <SignInForm email={who.user?.email ?? ""} />
          </div>
        </div>
      )}
    </>
  );
}

function Logo() {
  return (
    <span class="logo" aria-hidden="true">
      <svg width="28" height="28" viewBox="0 0 32 32">
        <rect width="32" height="32" rx="8" fill="currentColor" />
        <path d="M9 22V10h7a4 4 0 0 1 0 8h-7" fill="none" stroke="white" stroke-width="3" stroke-linecap="round" stroke-linejoin="round" />
      </svg>
    </span>
  );
}

function Header() {
  const who = useStore(me);
  const { path } = useLocation();
  const open = useStore(copilotOpen);
  const section = ["feedback", "tickets", "competitive", "upload", "integrations", "admin", "account"].find((s) => path.startsWith(`/${s}`)) ?? "board";
  const menu = useRef<HTMLDetailsElement>(null);
  // The account menu closes when its link (or any other) changes the page.
  useEffect(() => menu.current?.removeAttribute("open"), [path]);
  const name = who ? (who.user?.display_name || who.user?.email || (who.auth === "disabled" ? "Local admin" : "API key")) : "";
  return (
    <header class="topbar">
      <Link to="/" class="brand">
        <Logo />
        <span>ProduckAI</span>
      </Link>
      <nav aria-label="Main">
        <Link to="/" aria-current={section === "board" ? "page" : undefined}>
          Insights
        </Link>
        <Link to="/tickets" aria-current={section === "tickets" ? "page" : undefined}>
          Tickets
        </Link>
        <Link to="/competitive" aria-current={section === "competitive" ? "page" : undefined}>
          Competitors
        </Link>
        <Link to="/feedback" aria-current={section === "feedback" ? "page" : undefined}>
          Feedback
        </Link>
        {can(who, "editor") && (
          <Link to="/upload" aria-current={section === "upload" ? "page" : undefined}>
            Upload
          </Link>
        )}
        <Link to="/integrations" aria-current={section === "integrations" ? "page" : undefined}>
          Integrations
        </Link>
        {can(who, "admin") && (
          <Link to="/admin/members" aria-current={section === "admin" ? "page" : undefined}>
            Admin
          </Link>
        )}
      </nav>
      <div class="topbar-right">
        <Button variant={open ? "primary" : "secondary"} onClick={() => copilotOpen.set(!open)} aria-expanded={open} aria-controls="copilot" aria-label="Ask copilot">
          <span class="wide-only">Ask copilot</span>
          <span class="narrow-only">Copilot</span>
        </Button>
        {who && (
          <details class="menu" ref={menu}>
            <summary aria-label={`Account: ${name}`}>
              <span class="avatar" aria-hidden="true">
                {name.slice(0, 1).toUpperCase()}
              </span>
            </summary>
            <div class="menu-body">
              <p class="menu-name">{name}</p>
              <p class="muted small">
                {who.role} · {who.workspace.name}
              </p>
              <Link to="/account" class="menu-link">
                Account and workspaces
              </Link>
              {who.auth === "session" && (
                <Button variant="ghost" onClick={() => signOut()}>
                  Sign out
                </Button>
              )}
            </div>
          </details>
        )}
      </div>
    </header>
  );
}

function Routes() {
  const { path } = useLocation();
  let params;
  useEffect(() => {
    if (!match("/insights/:id", path)) copilotInsight.set(null);
  }, [path]);
  if (path === "/" || path === "") return <BoardPage />;
  if ((params = match("/insights/:id", path))) return <InsightPage id={params.id} />;
  if (path === "/feedback") return <FeedbackPage />;
  if ((params = match("/feedback/documents/:id", path))) return <FeedbackPage documentId={params.id} />;
  if (path === "/upload") return <UploadPage />;
  if (path === "/tickets") return <TicketsPage />;
  if (path === "/integrations") return <IntegrationsPage />;
  if (path === "/competitive") return <CompetitivePage />;
  if (path === "/account") return <AccountPage />;
  if (path === "/admin") return <AdminPage section="members" />;
  if ((params = match("/admin/:section", path))) return <AdminPage section={params.section} />;
  if ((params = match("/tickets/:key", path))) return <TicketPage ticketKey={params.key} />;
  return (
    <section class="page">
      <h1>Page not found</h1>
      <p>
        <Link to="/">Back to the insights</Link>
      </p>
    </section>
  );
}
