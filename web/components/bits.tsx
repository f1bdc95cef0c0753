/**
 * Small presentational pieces shared by the pages.
 *
 * @module
 */

import type { ComponentChildren } from "preact";
import {
  formatCoins,
  formatTime,
  isoTime,
  relativeTime,
  shortKey,
  statusLabel,
} from "../format.ts";

/** A node key linking to its page. */
export function NodeKey(props: { pubkey: string; full?: boolean }) {
  return (
    <a href={`/nodes/${props.pubkey}`} class="key" title={props.pubkey}>
      <code>{props.full ? props.pubkey : shortKey(props.pubkey)}</code>
    </a>
  );
}

/** A wallet key linking to its page. */
export function WalletKey(props: { pubkey: string; full?: boolean }) {
  return (
    <a href={`/wallets/${props.pubkey}`} class="key" title={props.pubkey}>
      <code>{props.full ? props.pubkey : shortKey(props.pubkey)}</code>
    </a>
  );
}

/** A swarm id linking to its page. */
export function SwarmLink(props: { id: string | null }) {
  if (props.id === null) return <span class="muted">none</span>;
  return (
    <a href={`/swarms/${props.id}`} title={`swarm ${props.id}`}>
      <code>{shortSwarm(props.id)}</code>
    </a>
  );
}

/** Swarm ids are u64: long ones are shortened for tables. */
export function shortSwarm(id: string): string {
  return id.length > 10 ? `${id.slice(0, 4)}…${id.slice(-4)}` : id;
}

/** A node status as a coloured label (text, not colour alone, carries it). */
export function Status(props: { status: string }) {
  return (
    <span class={`status status-${props.status}`}>
      {statusLabel(props.status)}
    </span>
  );
}

/** An amount of coins from atomic units. */
export function Coins(props: { atomic: string | bigint; decimals?: number }) {
  return (
    <span class="coins">
      {formatCoins(props.atomic, props.decimals ?? 9)}
      <span class="unit">coins</span>
    </span>
  );
}

/** A time with its relative form. */
export function When(props: { at: number; now: number }) {
  return (
    <time dateTime={isoTime(props.at)} title={formatTime(props.at)}>
      {relativeTime(props.at, props.now)}
    </time>
  );
}

/** A labelled number for the overview's cards. */
export function Stat(
  props: { label: string; children: ComponentChildren; note?: string },
) {
  return (
    <div class="stat">
      <dt>{props.label}</dt>
      <dd>
        {props.children}
        {props.note && <small>{props.note}</small>}
      </dd>
    </div>
  );
}

/** A table that scrolls sideways on narrow screens, reachable by keyboard. */
export function TableWrap(
  props: { label: string; children: ComponentChildren },
) {
  return (
    <div class="table-wrap" role="region" aria-label={props.label} tabIndex={0}>
      {props.children}
    </div>
  );
}

/** A shell command, ready to copy. */
export function Command(props: { children: string }) {
  return <pre class="cmd"><code>{props.children}</code></pre>;
}
