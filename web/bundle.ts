/**
 * Builds the explorer's assets at start-up: the islands' browser bundle
 * (esbuild, from npm) and the stylesheet, each served under a name carrying
 * its content hash so browsers may cache it for good. Built once per
 * process.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { sha256 } from "@noble/hashes/sha2.js";
import * as esbuild from "esbuild";
import { toHex } from "../registry/core/bytes.ts";

/** One built file. */
export interface Asset {
  /** URL path, e.g. `/static/islands.3f2a9c1d.js`. */
  path: string;
  /** Content type. */
  type: string;
  /** The bytes. */
  body: Uint8Array;
}

/** The explorer's built assets. */
export interface Assets {
  /** The islands' bundle. */
  js: Asset;
  /** The stylesheet. */
  css: Asset;
  /** Files served as they are (favicon). */
  files: Map<string, Asset>;
}

let built: Promise<Assets> | null = null;

function hashed(name: string, ext: string, body: Uint8Array): string {
  return `/static/${name}.${toHex(sha256(body)).slice(0, 12)}.${ext}`;
}

/** Build (once per process) and return the assets. */
export function buildAssets(): Promise<Assets> {
  built ??= build().catch((e) => {
    built = null;
    throw e;
  });
  return built;
}

async function build(): Promise<Assets> {
  const entry = fileURLToPath(new URL("./client.ts", import.meta.url));
  let js: Uint8Array;
  try {
    const result = await esbuild.build({
      entryPoints: [entry],
      bundle: true,
      write: false,
      format: "esm",
      platform: "browser",
      target: "es2022",
      minify: true,
      jsx: "automatic",
      jsxImportSource: "preact",
      legalComments: "none",
      logLevel: "silent",
    });
    js = result.outputFiles[0]!.contents;
  } finally {
    await esbuild.stop();
  }
  const css = await Deno.readFile(
    fileURLToPath(new URL("./static/app.css", import.meta.url)),
  );
  const favicon = await Deno.readFile(
    fileURLToPath(new URL("./static/favicon.svg", import.meta.url)),
  );
  return {
    js: {
      path: hashed("islands", "js", js),
      type: "text/javascript; charset=utf-8",
      body: js,
    },
    css: {
      path: hashed("app", "css", css),
      type: "text/css; charset=utf-8",
      body: css,
    },
    files: new Map([["/static/favicon.svg", {
      path: "/static/favicon.svg",
      type: "image/svg+xml",
      body: favicon,
    }]]),
  };
}
