import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import { EventList } from "../components/EventList.tsx";
import type { EventLike } from "../format.ts";

/** Props of {@linkcode LiveEvents}: serialisable. */
export interface LiveEventsProps {
  /** Newest first. */
  events: EventLike[];
  /** The explorer's event stream (server-sent events). */
  streamUrl: string;
  /** Most events shown. */
  max: number;
  /** Only these kinds (all when empty). */
  kinds: string[];
  /** Only this node's events (when set). */
  node: string | null;
}

/**
 * Recent events that update live: server-rendered, then (with JavaScript)
 * subscribed to the explorer's event stream, resuming after the newest event
 * shown.
 */
export function LiveEvents(props: LiveEventsProps) {
  const events = useSignal<EventLike[]>(props.events);
  const status = useSignal<"static" | "connecting" | "live" | "reconnecting">(
    "static",
  );
  useEffect(() => {
    if (typeof EventSource === "undefined") return;
    const after = events.value[0]?.id ?? 0;
    const url = new URL(props.streamUrl, location.href);
    url.searchParams.set("after", String(after));
    if (props.node) url.searchParams.set("node", props.node);
    if (props.kinds.length > 0) {
      url.searchParams.set("kind", props.kinds.join(","));
    }
    status.value = "connecting";
    const source = new EventSource(url.toString());
    source.onopen = () => status.value = "live";
    source.onerror = () => status.value = "reconnecting";
    source.onmessage = (m) => {
      let e: EventLike;
      try {
        e = JSON.parse(m.data) as EventLike;
      } catch {
        return;
      }
      if (events.value.some((x) => x.id === e.id)) return;
      events.value = [e, ...events.value].slice(0, props.max);
    };
    return () => source.close();
  }, []);
  return (
    <div class="live-events">
      <p class="live-status" aria-live="polite">
        <span class={`dot dot-${status.value}`} aria-hidden="true"></span>
        {status.value === "static"
          ? "Showing the events at page load (live updates need JavaScript)."
          : status.value === "live"
          ? "Live: new events appear at the top."
          : status.value === "connecting"
          ? "Connecting to the live event stream…"
          : "Event stream interrupted; reconnecting…"}
      </p>
      <EventList events={events.value} label="Recent events" />
    </div>
  );
}
