// Where the team hears from ProduckAI in Slack: the channel the bot posts alerts for
// high-priority insights to, from which priority, and the weekly digest.
import { useEffect, useState } from "preact/hooks";
import { api, ok } from "../api/client";
import { useAction, useLoad } from "../ui/async";
import { date } from "../ui/format";
import { ActionForm, Field, FormEnd } from "../ui/kit";

export function SlackNotifications() {
  const saved = useLoad((signal) => ok(api.GET("/integrations/slack/notifications", { signal })), []);
  const [channel, setChannel] = useState("");
  const [minPriority, setMinPriority] = useState("70");
  const [digest, setDigest] = useState(true);
  const { busy, problem, run } = useAction();
  const [done, setDone] = useState(false);
  useEffect(() => {
    if (!saved.data) return;
    setChannel(saved.data.channel_id);
    setMinPriority(String(saved.data.min_priority));
    setDigest(saved.data.weekly_digest);
  }, [saved.data]);
  return (
    <ActionForm
      run={run}
      action={async () => {
        setDone(false);
        await ok(api.PUT("/integrations/slack/notifications", { body: { channel_id: channel.trim(), min_priority: Number(minPriority), weekly_digest: digest } }));
        setDone(true);
        saved.reload();
      }}
    >
      <h3 class="form-title">Notifications</h3>
      <Field id="notify-channel" label="Channel id" hint="Alerts and the digest go here; invite the bot to it first." error={problem?.fieldMessage("channel_id")}>
        <input id="notify-channel" required placeholder="C0123ABCD" value={channel} onInput={(e) => setChannel(e.currentTarget.value)} />
      </Field>
      <Field id="notify-priority" label="Alert from priority" hint="A new insight at or above it, or one that rises past it." error={problem?.fieldMessage("min_priority")}>
        <input id="notify-priority" type="number" min={0} max={100} required value={minPriority} onInput={(e) => setMinPriority(e.currentTarget.value)} />
      </Field>
      <label class="check">
        <input type="checkbox" checked={digest} onChange={(e) => setDigest(e.currentTarget.checked)} />
        Weekly digest: new themes, top movers, tickets out of line with the evidence
      </label>
      <FormEnd
        label="Save notifications"
        busy={busy}
        problem={problem}
        status={done ? "Saved" : saved.data?.last_digest_at ? `Last digest ${date(saved.data.last_digest_at)}` : undefined}
      />
    </ActionForm>
  );
}
