/**
 * Rendering pages: the route context, the page frame, islands (a component
 * rendered on the server and hydrated in the browser from serialisable
 * props), and error pages.
 *
 * @module
 */

import type { ComponentChildren, ComponentType, VNode } from "preact";
import { renderToString } from "preact-render-to-string";
import type { InfoView } from "../registry/client/types.ts";
import type { Assets } from "./bundle.ts";
import { Layout, type LayoutProps } from "./components/Layout.tsx";
import type { ExplorerData } from "./lib/source.ts";

/** What a route gets. */
export interface Ctx {
  data: ExplorerData;
  assets: Assets;
  url: URL;
  req: Request;
  /** Path parameters. */
  params: Record<string, string>;
  /** Aborts when the explorer stops. */
  signal: AbortSignal;
}

/** A route handler. */
export type Handler = (ctx: Ctx) => Promise<Response> | Response;

/** An error shown as a page with a status. */
export class PageError extends Error {
  readonly status: number;
  readonly title: string;
  readonly hints: ComponentChildren;
  constructor(
    status: number,
    title: string,
    message: string,
    hints?: ComponentChildren,
  ) {
    super(message);
    this.name = "PageError";
    this.status = status;
    this.title = title;
    this.hints = hints ?? null;
  }
}

/** Options of {@linkcode page}. */
export interface PageOptions {
  title: string;
  section?: LayoutProps["section"];
  status?: number;
  /** Whether the page has islands (and so loads the bundle). */
  islands?: boolean;
  /** The registry's info, for the frame (network, epoch), if at hand. */
  info?: InfoView | null;
}

/** Render a full HTML page. */
export function page(
  ctx: Ctx,
  options: PageOptions,
  body: ComponentChildren,
): Response {
  const html = "<!doctype html>" + renderToString(
    <Layout
      title={options.title}
      section={options.section}
      network={options.info?.network ?? null}
      registryUrl={ctx.data.registryUrl}
      epoch={options.info?.epoch ?? null}
      assets={{
        css: ctx.assets.css.path,
        js: options.islands ? ctx.assets.js.path : null,
      }}
    >
      {body}
    </Layout>,
  );
  return new Response(html, {
    status: options.status ?? 200,
    headers: { "content-type": "text/html; charset=utf-8" },
  });
}

/**
 * An island: `component` rendered with `props` on the server, inside a
 * marker the browser bundle hydrates with the same props.
 */
export function Island<P extends object>(
  props: { name: string; component: ComponentType<P>; props: P },
): VNode {
  const C = props.component as ComponentType<P>;
  return (
    <div data-island={props.name} data-props={JSON.stringify(props.props)}>
      <C {...props.props} />
    </div>
  );
}

/** The error page for a {@linkcode PageError} or an unexpected failure. */
export function errorPage(
  ctx: Ctx,
  error: PageError,
  info: InfoView | null,
): Response {
  return page(
    ctx,
    { title: error.title, status: error.status, info },
    (
      <section class="error">
        <h1>
          {error.title} <small>({error.status})</small>
        </h1>
        <p>{error.message}</p>
        {error.hints}
        <p>
          <a href="/">Back to the overview</a> · <a href="/nodes">all nodes</a>
        </p>
      </section>
    ),
  );
}
