import {
  describeEvent,
  type EventLike,
  formatTime,
  shortKey,
} from "../format.ts";

/** Events as a list, newest first: time, kind, node, what happened. */
export function EventList(props: { events: EventLike[]; label: string }) {
  if (props.events.length === 0) {
    return <p class="muted">No events yet.</p>;
  }
  return (
    <ol class="events" aria-label={props.label}>
      {props.events.map((e) => <EventItem key={e.id} event={e} />)}
    </ol>
  );
}

/** One event. */
export function EventItem(props: { event: EventLike }) {
  const e = props.event;
  const t = Math.floor(e.createdAt / 1000);
  return (
    <li class={`event event-${e.kind}`} data-event-id={e.id}>
      <time
        dateTime={new Date(e.createdAt).toISOString()}
        title={formatTime(t)}
      >
        {formatTime(t).slice(11, 19)}
      </time>{" "}
      <span class={`kind kind-${e.kind}`}>{e.kind.replaceAll("_", " ")}</span>
      {" "}
      <span class="epoch">epoch {e.epoch}</span>{" "}
      {e.node && (
        <a href={`/nodes/${e.node}`} class="key" title={e.node}>
          <code>{shortKey(e.node)}</code>
        </a>
      )} <span class="what">{describeEvent(e)}</span>
    </li>
  );
}
