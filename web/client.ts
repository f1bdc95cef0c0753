/**
 * The explorer's only client JavaScript: hydrates each island the server
 * rendered (`<div data-island="Name" data-props="{json}">`) with its
 * serialisable props. Bundled by `bundle.ts` for the browser.
 *
 * @module
 */

import { type ComponentType, h, hydrate } from "preact";
import { LiveEvents } from "./islands/LiveEvents.tsx";
import { VerifyList } from "./islands/VerifyList.tsx";

// deno-lint-ignore no-explicit-any
const ISLANDS: Record<string, ComponentType<any>> = { LiveEvents, VerifyList };

for (const el of document.querySelectorAll<HTMLElement>("[data-island]")) {
  const component = ISLANDS[el.dataset.island ?? ""];
  if (!component) continue;
  const props = JSON.parse(el.dataset.props ?? "{}");
  hydrate(h(component, props), el);
}
