// Server-Sent Events: GET streams through EventSource (the browser sends the session
// cookie and reconnects by itself), and the copilot's POST stream read from fetch.
import { rawFetch } from "./client";

/** Follows a GET event stream; returns a function that stops it. */
export function follow(
  path: string,
  handlers: Record<string, (data: any) => void>,
  onError?: () => void,
): () => void {
  const source = new EventSource(path);
  for (const [event, handle] of Object.entries(handlers)) {
    source.addEventListener(event, (e) => {
      try {
        handle(JSON.parse((e as MessageEvent).data));
      } catch {
        /* a malformed event is skipped; the next one carries the whole state again */
      }
    });
  }
  source.onerror = () => {
    if (source.readyState === EventSource.CLOSED) onError?.();
  };
  return () => source.close();
}

export interface StreamEvent {
  event: string;
  data: any;
}

/** POSTs JSON and yields each event of the streamed answer as it arrives. */
export async function* postStream(path: string, body: unknown, signal: AbortSignal): AsyncGenerator<StreamEvent> {
  const res = await rawFetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
    body: JSON.stringify(body),
    signal,
  });
  if (!res.body) return;
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      let event = "message";
      const data: string[] = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) event = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
      }
      if (data.length === 0) continue;
      try {
        yield { event, data: JSON.parse(data.join("\n")) };
      } catch {
        yield { event, data: data.join("\n") };
      }
    }
  }
}
