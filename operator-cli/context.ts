/**
 * The resolved global options every command runs with: where keys and
 * state live, which registry to talk to, the network, output settings.
 * Precedence, highest first: command-line flag, environment variable,
 * config file (`<home>/config.json`), built-in default.
 *
 * @module
 */

import type { KeystoreKind } from "../registry/core/keystore.ts";
import { NETWORK_IDS, type NetworkName } from "../registry/core/params.ts";
import { RegistryClient } from "../registry/client/api.ts";
import type { InfoView } from "../registry/client/types.ts";
import { CliError, usage } from "./errors.ts";
import type { Io } from "./io.ts";
import { Output } from "./output.ts";

/** Default registry URL (the registry's default port on this machine). */
export const DEFAULT_REGISTRY = "http://127.0.0.1:8080";

/** `<home>/config.json`. Every field is optional. */
export interface ConfigFile {
  /** Registry base URL, or several (lists are fetched from all of them). */
  registry?: string | string[];
  /** Network name: mainnet, testnet or devnet. */
  network?: string;
  /** Pinned registry keys (hex) for `list verify`. */
  registryKeys?: string[];
  /** Registry signatures needed from the pinned keys. */
  threshold?: number;
  /** Pinned witness keys for `list fetch/verify`: `HEX` or `HEX@URL`. */
  witnessKeys?: string[];
  /** Co-signatures needed from the pinned witnesses (default a majority). */
  witnessThreshold?: number;
  /** Where keystores live. */
  keysDir?: string;
  /** Webhook URL for alerts. */
  webhook?: string;
}

/** Global options as parsed by commander. */
export interface GlobalOptions {
  registry?: string[];
  network?: string;
  home?: string;
  keysDir?: string;
  json?: boolean;
  verbose?: boolean;
  color?: boolean;
  timeout?: string;
  passphraseFile?: string;
  nodePassphraseFile?: string;
  walletPassphraseFile?: string;
}

/** What every command gets. */
export class Context {
  readonly io: Io;
  readonly out: Output;
  readonly home: string;
  readonly keysDir: string;
  readonly config: ConfigFile;
  readonly registryUrls: string[];
  readonly networkName: NetworkName | undefined;
  readonly timeoutMs: number;
  /** Passphrase file for every key (`--passphrase-file`). */
  readonly passphraseFile: string | undefined;
  /** Passphrase file by kind of key (`--node-passphrase-file`, ...); wins over the one for every key. */
  readonly keyPassphraseFile: Readonly<
    Partial<Record<KeystoreKind, string | undefined>>
  >;
  #client: RegistryClient | undefined;
  #info: InfoView | undefined;

  constructor(io: Io, opts: GlobalOptions) {
    this.io = io;
    this.out = new Output(io, {
      json: opts.json === true,
      verbose: opts.verbose === true,
      color: opts.color !== false,
    });
    this.home = opts.home ?? io.env("SNODE_HOME") ??
      join(io.home ?? ".", ".config", "snode");
    this.config = readConfig(join(this.home, "config.json"));
    this.keysDir = opts.keysDir ?? io.env("SNODE_KEYS_DIR") ??
      this.config.keysDir ?? join(this.home, "keys");
    const fromEnv = io.env("SNODE_REGISTRY")?.split(",").map((s) => s.trim())
      .filter((s) => s !== "");
    const fromConfig = this.config.registry === undefined
      ? undefined
      : Array.isArray(this.config.registry)
      ? this.config.registry
      : [this.config.registry];
    this.registryUrls = opts.registry && opts.registry.length > 0
      ? opts.registry
      : fromEnv && fromEnv.length > 0
      ? fromEnv
      : fromConfig ?? [DEFAULT_REGISTRY];
    const network = opts.network ?? io.env("SNODE_NETWORK") ??
      this.config.network;
    if (network !== undefined && !Object.hasOwn(NETWORK_IDS, network)) {
      throw usage(
        `unknown network "${network}" (expected mainnet, testnet or devnet)`,
      );
    }
    this.networkName = network as NetworkName | undefined;
    const timeout = opts.timeout ?? io.env("SNODE_TIMEOUT");
    const seconds = timeout === undefined ? 10 : Number(timeout);
    if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 600) {
      throw usage(
        `--timeout must be more than 0 and at most 600 seconds, got "${timeout}"`,
        "bad_timeout",
      );
    }
    this.timeoutMs = Math.round(seconds * 1000);
    this.passphraseFile = opts.passphraseFile ??
      io.env("SNODE_PASSPHRASE_FILE");
    this.keyPassphraseFile = {
      node: opts.nodePassphraseFile ?? io.env("SNODE_NODE_PASSPHRASE_FILE"),
      wallet: opts.walletPassphraseFile ??
        io.env("SNODE_WALLET_PASSPHRASE_FILE"),
    };
  }

  /** The client for the first registry URL. */
  get client(): RegistryClient {
    this.#client ??= new RegistryClient(this.registryUrls[0]!, {
      timeoutMs: this.timeoutMs,
      onRequest: (m, u) => this.out.debug(`${m} ${u}`),
    });
    return this.#client;
  }

  /** The client, after checking the registry's network when `--network` was given. */
  async api(): Promise<RegistryClient> {
    if (this.networkName !== undefined) await this.info();
    return this.client;
  }

  /**
   * `GET /v1/info`, once; checks the registry serves the network asked for
   * with `--network`, if any.
   */
  async info(): Promise<InfoView> {
    if (this.#info) return this.#info;
    const info = await this.client.info();
    if (this.networkName !== undefined && info.network !== this.networkName) {
      throw new CliError(
        "refused",
        "wrong_network",
        `the registry at ${this.client.baseUrl} serves ${info.network}, not ${this.networkName} (check --network / --registry)`,
      );
    }
    this.#info = info;
    return info;
  }

  /** Network id for offline signing: from `--network`, else from the registry. */
  async networkId(offline: boolean): Promise<number> {
    if (this.networkName !== undefined && offline) {
      return NETWORK_IDS[this.networkName];
    }
    if (offline) {
      throw usage(
        "offline signing needs the network: pass --network mainnet|testnet|devnet (or set it in the config file)",
      );
    }
    return (await this.info()).networkId;
  }
}

/** Join path parts with `/`. */
export function join(...parts: string[]): string {
  return parts.join("/").replace(/\/+/g, "/");
}

function readConfig(path: string): ConfigFile {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return {};
    throw e;
  }
  try {
    const value = JSON.parse(text) as unknown;
    if (!value || typeof value !== "object" || Array.isArray(value)) {
      throw new Error("not an object");
    }
    return value as ConfigFile;
  } catch (e) {
    throw usage(
      `config file ${path} is not valid JSON: ${(e as Error).message}`,
    );
  }
}
