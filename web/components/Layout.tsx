import type { ComponentChildren } from "preact";

/** What every page's frame needs. */
export interface LayoutProps {
  title: string;
  /** The nav entry to mark as current. */
  section?:
    | "overview"
    | "nodes"
    | "swarms"
    | "sessions"
    | "lists"
    | "events"
    | "about"
    | undefined;
  network: string | null;
  registryUrl: string;
  epoch: number | null;
  assets: { css: string; js: string | null };
  children: ComponentChildren;
}

const NAV: [LayoutProps["section"], string, string][] = [
  ["overview", "/", "Overview"],
  ["nodes", "/nodes", "Nodes"],
  ["swarms", "/swarms", "Swarms"],
  ["sessions", "/sessions", "Session ID"],
  ["lists", "/lists", "Lists"],
  ["events", "/events", "Events"],
  ["about", "/about", "About"],
];

/** The page frame: head, skip link, header with navigation and search, main, footer. */
export function Layout(props: LayoutProps) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <title>
          {props.title} · {props.network ?? "network"} explorer
        </title>
        <link rel="stylesheet" href={props.assets.css} />
        <link rel="icon" href="/static/favicon.svg" type="image/svg+xml" />
        {props.assets.js && (
          <script type="module" src={props.assets.js}></script>
        )}
      </head>
      <body>
        <a class="skip" href="#main">Skip to content</a>
        <header class="site">
          <div class="bar">
            <a class="brand" href="/">
              <span aria-hidden="true" class="logo">◆</span>{" "}
              Service-node explorer
            </a>
            {props.network && (
              <span class={`net net-${props.network}`}>{props.network}</span>
            )}
          </div>
          <nav aria-label="Main">
            <ul>
              {NAV.map(([key, href, label]) => (
                <li>
                  <a
                    href={href}
                    aria-current={props.section === key ? "page" : undefined}
                  >
                    {label}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
          <form class="search" role="search" action="/search" method="get">
            <label for="site-search" class="vh">
              Search nodes, wallets, Session IDs, swarms
            </label>
            <input
              id="site-search"
              name="q"
              type="search"
              placeholder="Node key, wallet, Session ID, swarm id or IP"
              autocomplete="off"
              spellcheck={false}
            />
            <button type="submit">Search</button>
          </form>
        </header>
        <main id="main" tabIndex={-1}>
          {props.children}
        </main>
        <footer class="site">
          <p>
            Reading the registry at <code>{props.registryUrl}</code>
            {props.network && (
              <>
                {" · "}network <strong>{props.network}</strong>
              </>
            )}
            {props.epoch !== null && <>{" · "}epoch {props.epoch}</>}
            {" · "}
            <a href="/about">about this explorer and its data</a>
          </p>
        </footer>
      </body>
    </html>
  );
}
