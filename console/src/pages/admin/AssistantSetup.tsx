// Connecting an AI assistant (Claude, Cursor, VS Code…) to the workspace through the MCP
// server at /mcp: the address, the header, and a configuration to paste, with the key just
// created filled in.
import { useState } from "preact/hooks";
import { Button, copyText } from "../../ui/kit";

export function AssistantSetup({ secret }: { secret?: string }) {
  const url = `${location.origin}/mcp`;
  const key = secret ?? "<an API key>";
  const config = JSON.stringify(
    { mcpServers: { produckai: { type: "http", url, headers: { Authorization: `Bearer ${key}` } } } },
    null,
    2,
  );
  const [copied, setCopied] = useState(false);
  return (
    <section class="card stack setup" aria-labelledby="mcp-title">
      <h2 id="mcp-title">Connect an AI assistant</h2>
      <p>
        Assistants that speak MCP (Claude, Cursor, VS Code and others) can search feedback, read insights with their
        evidence, draft PRDs, check a ticket's VOC score and ask the copilot. Give them this server with an API key:
      </p>
      <dl class="facts">
        <dt>Server</dt>
        <dd>
          <code>{url}</code> (Streamable HTTP)
        </dd>
        <dt>Header</dt>
        <dd>
          <code>Authorization: Bearer {secret ? "<the key above>" : "<an API key>"}</code>
        </dd>
      </dl>
      <pre class="snippet" aria-label="Assistant configuration">
        <code>{config}</code>
      </pre>
      <p class="small muted">
        A viewer key offers only the tools that read; an editor key may also add feedback and rescore tickets. Calls
        count against the key's rate limits and each one is recorded in the audit trail.
      </p>
      <div class="button-row">
        <Button onClick={async () => setCopied(await copyText(config))}>{copied ? "Copied" : "Copy the configuration"}</Button>
      </div>
    </section>
  );
}
