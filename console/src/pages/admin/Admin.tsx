// Administration, for admins only: members and API keys. Other roles are told so (and the
// API refuses them anyway).
import { Link } from "../../router";
import { can, me } from "../../session";
import { useStore } from "../../store";
import { Empty } from "../../ui/kit";
import { AiUsage } from "./AiUsage";
import { ApiKeys } from "./ApiKeys";
import { Audit } from "./Audit";
import { Customers } from "./Customers";
import { Jobs } from "./Jobs";
import { Members } from "./Members";
import { Scoring } from "./Scoring";
import { Webhooks } from "./Webhooks";

const SECTIONS: [string, string][] = [
  ["members", "Members"],
  ["api-keys", "API keys"],
  ["scoring", "Scoring"],
  ["customers", "Customers"],
  ["webhooks", "Webhooks"],
  ["audit", "Audit trail"],
  ["ai", "AI usage"],
  ["jobs", "Jobs"],
];

export function AdminPage({ section }: { section: string }) {
  const who = useStore(me);
  if (!can(who, "admin")) {
    return (
      <section class="page">
        <Empty title="Administration is for admins">Ask an admin of your workspace if you need a change here.</Empty>
      </section>
    );
  }
  return (
    <section class="page">
      <div class="page-head">
        <div>
          <h1>Administration</h1>
          <p class="muted">{who && who.workspace.name}</p>
        </div>
      </div>
      <nav class="tabs" aria-label="Administration">
        {SECTIONS.map(([key, label]) => (
          <Link key={key} to={`/admin/${key}`} class={`tab ${section === key ? "tab-on" : ""}`} aria-current={section === key ? "page" : undefined}>
            {label}
          </Link>
        ))}
      </nav>
      {section === "api-keys" ? (
        <ApiKeys />
      ) : section === "scoring" ? (
        <Scoring />
      ) : section === "customers" ? (
        <Customers />
      ) : section === "webhooks" ? (
        <Webhooks />
      ) : section === "audit" ? (
        <Audit />
      ) : section === "ai" ? (
        <AiUsage />
      ) : section === "jobs" ? (
        <Jobs />
      ) : (
        <Members />
      )}
    </section>
  );
}
