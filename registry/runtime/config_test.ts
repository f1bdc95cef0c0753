import assert from "node:assert/strict";
import { ATOMIC_PER_COIN, PRESETS } from "../core/params.ts";
import {
  type Command,
  type Config,
  ConfigError,
  ENV_VARS,
  parseConfig,
  usage,
} from "./config.ts";
import { loadGenesis, parseGenesis } from "./genesis.ts";

const envOf = (vars: Record<string, string>) => (name: string) => vars[name];
const noEnv = envOf({});

function run(args: string[], env = noEnv): Config {
  const cmd: Command = parseConfig(args, env);
  assert.equal(cmd.kind, "run");
  return (cmd as { kind: "run"; config: Config }).config;
}

function fails(args: string[], message: RegExp, env = noEnv): void {
  assert.throws(() => parseConfig(args, env), (e: unknown) => {
    assert(e instanceof ConfigError, `expected a ConfigError, got ${e}`);
    assert.match(e.message, message);
    return true;
  });
}

Deno.test("config: defaults", () => {
  const c = run([]);
  assert.equal(c.host, "127.0.0.1");
  assert.equal(c.port, 8080);
  assert.equal(c.dataDir, "./data");
  assert.equal(c.params.name, "devnet");
  assert.equal(c.params.epochSeconds, PRESETS.devnet.epochSeconds);
  assert.deepEqual(c.passphrase, { kind: "generated" });
  assert.equal(c.genesisFile, null);
  assert.equal(c.faucetLimit, 1000n * ATOMIC_PER_COIN);
  assert.equal(c.logFormat, "json");
  assert.equal(c.logLevel, "info");
  assert.deepEqual(c.probe, {
    enabled: true,
    concurrency: 16,
    timeoutMs: 5000,
  });
});

Deno.test("config: every flag", () => {
  const c = run([
    "--host",
    "0.0.0.0",
    "--port=0",
    "--data-dir",
    "/tmp/x",
    "--network",
    "testnet",
    "--epoch-seconds",
    "30",
    "--passphrase-file",
    "/run/secrets/pp",
    "--genesis",
    "g.json",
    "--faucet-limit",
    "2.5",
    "--log-format",
    "text",
    "--log-level",
    "debug",
    "--probe",
    "off",
    "--probe-concurrency",
    "4",
    "--probe-timeout-ms",
    "1500",
  ]);
  assert.equal(c.host, "0.0.0.0");
  assert.equal(c.port, 0);
  assert.equal(c.dataDir, "/tmp/x");
  assert.equal(c.params.name, "testnet");
  assert.equal(c.params.epochSeconds, 30);
  assert.equal(c.params.stakingRequirement, PRESETS.testnet.stakingRequirement);
  assert.deepEqual(c.passphrase, {
    kind: "file",
    path: "/run/secrets/pp",
    from: "--passphrase-file",
  });
  assert.equal(c.genesisFile, "g.json");
  assert.equal(c.faucetLimit, 2_500_000_000n);
  assert.equal(c.logFormat, "text");
  assert.equal(c.logLevel, "debug");
  assert.deepEqual(c.probe, {
    enabled: false,
    concurrency: 4,
    timeoutMs: 1500,
  });
});

Deno.test("config: environment, and flags win over it", () => {
  const env = envOf({
    REGISTRY_HOST: "::1",
    REGISTRY_PORT: "9000",
    REGISTRY_DATA_DIR: "/var/lib/registry",
    REGISTRY_NETWORK: "mainnet",
    REGISTRY_EPOCH_SECONDS: "60",
    REGISTRY_PASSPHRASE: "correct horse battery",
    REGISTRY_GENESIS: "/etc/genesis.json",
    REGISTRY_FAUCET_LIMIT: "10",
    REGISTRY_LOG_FORMAT: "text",
    REGISTRY_LOG_LEVEL: "warn",
    REGISTRY_PROBE: "off",
    REGISTRY_PROBE_CONCURRENCY: "8",
    REGISTRY_PROBE_TIMEOUT_MS: "2500",
  });
  const e = run([], env);
  assert.equal(e.host, "::1");
  assert.equal(e.port, 9000);
  assert.equal(e.dataDir, "/var/lib/registry");
  assert.equal(e.params.name, "mainnet");
  assert.equal(e.params.epochSeconds, 60);
  assert.deepEqual(e.passphrase, {
    kind: "env",
    passphrase: "correct horse battery",
  });
  assert.equal(e.genesisFile, "/etc/genesis.json");
  assert.equal(e.faucetLimit, 10n * ATOMIC_PER_COIN);
  assert.equal(e.logFormat, "text");
  assert.equal(e.logLevel, "warn");
  assert.deepEqual(e.probe, {
    enabled: false,
    concurrency: 8,
    timeoutMs: 2500,
  });

  const f = run([
    "--host",
    "127.0.0.2",
    "--port",
    "9001",
    "--data-dir",
    "d",
    "--network",
    "devnet",
    "--epoch-seconds",
    "1",
    "--passphrase-file",
    "pp",
    "--genesis",
    "g2.json",
    "--faucet-limit",
    "5",
    "--log-format",
    "json",
    "--log-level",
    "error",
    "--probe",
    "on",
    "--probe-concurrency",
    "1",
    "--probe-timeout-ms",
    "100",
  ], env);
  assert.equal(f.host, "127.0.0.2");
  assert.equal(f.port, 9001);
  assert.equal(f.dataDir, "d");
  assert.equal(f.params.name, "devnet");
  assert.equal(f.params.epochSeconds, 1);
  assert.deepEqual(f.passphrase, {
    kind: "file",
    path: "pp",
    from: "--passphrase-file",
  });
  assert.equal(f.genesisFile, "g2.json");
  assert.equal(f.faucetLimit, 5n * ATOMIC_PER_COIN);
  assert.equal(f.logFormat, "json");
  assert.equal(f.logLevel, "error");
  assert.deepEqual(f.probe, { enabled: true, concurrency: 1, timeoutMs: 100 });

  // Empty variables count as unset.
  assert.equal(run([], envOf({ REGISTRY_PORT: "" })).port, 8080);
});

Deno.test("config: passphrase sources", () => {
  assert.deepEqual(
    run([], envOf({ REGISTRY_PASSPHRASE_FILE: "/pp" })).passphrase,
    {
      kind: "file",
      path: "/pp",
      from: "REGISTRY_PASSPHRASE_FILE",
    },
  );
  // The flag wins over both variables.
  assert.deepEqual(
    run(
      ["--passphrase-file", "/flag"],
      envOf({
        REGISTRY_PASSPHRASE_FILE: "/pp",
        REGISTRY_PASSPHRASE: "x".repeat(10),
      }),
    )
      .passphrase,
    { kind: "file", path: "/flag", from: "--passphrase-file" },
  );
  fails(
    [],
    /both REGISTRY_PASSPHRASE and REGISTRY_PASSPHRASE_FILE/,
    envOf({
      REGISTRY_PASSPHRASE_FILE: "/pp",
      REGISTRY_PASSPHRASE: "x".repeat(10),
    }),
  );
  // Only devnet generates one.
  fails(
    ["--network", "mainnet"],
    /mainnet needs a passphrase for the registry key/,
  );
  fails(
    [],
    /testnet needs a passphrase/,
    envOf({ REGISTRY_NETWORK: "testnet" }),
  );
  assert.equal(
    run(
      ["--network", "mainnet"],
      envOf({ REGISTRY_PASSPHRASE: "long enough pass" }),
    ).params.name,
    "mainnet",
  );
});

Deno.test("config: every bad value is a clear error", () => {
  fails(["--bogus"], /^unknown option --bogus \(see --help\)$/);
  fails(["serve"], /^unexpected argument "serve"/);
  fails(["--port"], /^--port needs a value$/);
  fails(
    ["--port", "-1"],
    /^--port needs a value \(to pass one starting with "-", write --port=VALUE\)$/,
  );
  fails(["--port", "http"], /^--port: "http" is not a TCP port/);
  fails(
    ["--port", "65536"],
    /^--port: 65536 is out of range \(a TCP port: 0 to 65535\)$/,
  );
  fails(["--port", "8080.5"], /^--port: "8080.5" is not a TCP port/);
  fails(
    [],
    /^REGISTRY_PORT: "x" is not a TCP port/,
    envOf({ REGISTRY_PORT: "x" }),
  );
  fails(["--port", "1", "--port", "2"], /^--port is given more than once$/);
  fails(["--host", ""], /^--host: "" is not a host name/);
  fails(["--data-dir", " "], /^--data-dir must not be empty$/);
  fails(
    ["--network", "moonnet"],
    /^--network: unknown network "moonnet" \(expected mainnet, testnet or devnet\)$/,
  );
  fails(
    [],
    /^REGISTRY_NETWORK: unknown network "x"/,
    envOf({ REGISTRY_NETWORK: "x" }),
  );
  fails(["--network", "toString"], /unknown network "toString"/);
  fails(
    ["--epoch-seconds", "0"],
    /^--epoch-seconds: 0 is out of range \(an epoch length in seconds: 1 to 3600\)$/,
  );
  fails(["--epoch-seconds", "3601"], /out of range/);
  fails(
    ["--epoch-seconds", "1.5"],
    /^--epoch-seconds: "1.5" is not an epoch length/,
  );
  fails(["--passphrase-file", ""], /^--passphrase-file must not be empty$/);
  fails(["--genesis", ""], /^--genesis must not be empty$/);
  fails(
    ["--faucet-limit", "lots"],
    /^--faucet-limit: "lots" is not an amount of coins/,
  );
  fails(
    ["--faucet-limit", "0"],
    /^--faucet-limit: the faucet limit must be more than 0 coins$/,
  );
  fails(["--faucet-limit", "1.0000000001"], /at most 9 decimals/);
  fails(
    ["--log-format", "xml"],
    /^--log-format: "xml" is not one of json, text, journal$/,
  );
  fails(
    ["--tls-cert", "cert.pem"],
    /^--tls-cert needs the certificate's private key too: --tls-key FILE or REGISTRY_TLS_KEY$/,
  );
  fails(
    ["--tls-key", "key.pem"],
    /^--tls-key needs the certificate too: --tls-cert FILE or REGISTRY_TLS_CERT$/,
  );
  fails(["--tls-cert", "", "--tls-key", "k"], /^--tls-cert must not be empty$/);
  fails(
    ["--log-level", "trace"],
    /^--log-level: "trace" is not one of debug, info, warn, error$/,
  );
  fails(["--probe", "yes"], /^--probe: "yes" is not one of on, off$/);
  fails(
    ["--probe-concurrency", "0"],
    /^--probe-concurrency: 0 is out of range/,
  );
  fails(["--probe-concurrency", "257"], /out of range/);
  fails(
    ["--probe-timeout-ms", "99"],
    /^--probe-timeout-ms: 99 is out of range/,
  );
  fails(["--help=yes"], /^--help takes no value$/);
});

Deno.test("config: --help lists every flag and variable; --version", () => {
  const help = parseConfig(["--help"], noEnv);
  assert.equal(help.kind, "help");
  const text = (help as { text: string }).text;
  assert.equal(text, usage());
  for (const v of ENV_VARS) assert(text.includes(v), v);
  for (
    const flag of [
      "--host",
      "--port",
      "--data-dir",
      "--network",
      "--epoch-seconds",
      "--passphrase-file",
      "--genesis",
      "--faucet-limit",
      "--log-format",
      "--log-level",
      "--probe",
      "--probe-concurrency",
      "--probe-timeout-ms",
      "--help",
      "--version",
    ]
  ) {
    assert(text.includes(flag), flag);
  }
  assert.match(text, /default 127\.0\.0\.1/);
  assert.match(text, /default 8080/);
  // -h too, and help wins over a bad value elsewhere? No: the flags are parsed first.
  assert.equal(parseConfig(["-h"], noEnv).kind, "help");
  assert.deepEqual(parseConfig(["--version"], noEnv, "1.2.3"), {
    kind: "version",
    text: "snode-registry 1.2.3",
  });
});

const W1 = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
const W2 = "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c";

Deno.test("config: genesis file", async () => {
  const ok = parseGenesis(
    JSON.stringify([{ wallet: W1, amount: "1000" }, {
      wallet: W2.toUpperCase(),
      amount: "0.000000001",
    }]),
    "g.json",
  );
  assert.deepEqual(ok, [{ wallet: W1, amount: 1000n * ATOMIC_PER_COIN }, {
    wallet: W2,
    amount: 1n,
  }]);
  assert.deepEqual(parseGenesis("[]", "g.json"), []);

  const bad: [string, RegExp][] = [
    ["{", /^genesis file g\.json is not valid JSON/],
    ['{"wallet": "x"}', /must be a JSON array/],
    ["[1]", /entry 0: expected an object/],
    [
      `[{"wallet": "${W1}", "amount": "1", "memo": "hi"}]`,
      /entry 0: unexpected field "memo"/,
    ],
    ['[{"amount": "1"}]', /entry 0: "wallet" must be a string/],
    [
      '[{"wallet": "abcd", "amount": "1"}]',
      /entry 0: "wallet": expected 32 bytes/,
    ],
    [
      `[{"wallet": "${"zz".repeat(32)}", "amount": "1"}]`,
      /entry 0: "wallet": expected an even number of hex digits/,
    ],
    [
      `[{"wallet": "${W1}", "amount": 5}]`,
      /entry 0: "amount" must be a decimal string/,
    ],
    [
      `[{"wallet": "${W1}", "amount": "-5"}]`,
      /entry 0: "amount": "-5" is not an amount of coins/,
    ],
    [
      `[{"wallet": "${W1}", "amount": "0"}]`,
      /entry 0: "amount" must be more than 0 coins/,
    ],
    [
      `[{"wallet": "${W1}", "amount": "1"}, {"wallet": "${W1}", "amount": "2"}]`,
      /entry 1: wallet d75a.* is already credited by entry 0/,
    ],
    [
      JSON.stringify(
        Array.from(
          { length: 2 },
          (_, i) => ({ wallet: i ? W2 : W1, amount: "18446744073" }),
        ),
      ),
      /the total, .* is too large/,
    ],
  ];
  for (const [text, message] of bad) {
    assert.throws(() => parseGenesis(text, "g.json"), (e: unknown) => {
      assert(e instanceof ConfigError);
      assert.match(e.message, message, text);
      return true;
    });
  }

  const dir = await Deno.makeTempDir();
  try {
    await assert.rejects(
      loadGenesis(`${dir}/missing.json`),
      /cannot read genesis file .*missing\.json/,
    );
    await assert.rejects(loadGenesis(dir), /is not a file/);
    await Deno.writeTextFile(
      `${dir}/g.json`,
      JSON.stringify([{ wallet: W1, amount: "7" }]),
    );
    assert.deepEqual(await loadGenesis(`${dir}/g.json`), [{
      wallet: W1,
      amount: 7n * ATOMIC_PER_COIN,
    }]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("config: --min-node-version X.Y.Z, refused when malformed", () => {
  assert.equal(run([]).minimumNodeVersion, null);
  assert.deepEqual(run(["--min-node-version", "11.2.0"]).minimumNodeVersion, [
    11,
    2,
    0,
  ]);
  assert.deepEqual(
    run([], envOf({ REGISTRY_MIN_NODE_VERSION: "2.0.10" })).minimumNodeVersion,
    [2, 0, 10],
  );
  fails(["--min-node-version", "11.2"], /is not a version X\.Y\.Z/);
  fails(["--min-node-version", "1.256.0"], /each part 0 to 255/);
});

Deno.test("config: connection, stream and rate limits", () => {
  const d = run([]);
  assert.deepEqual(d.http, {
    server: "node",
    headerTimeoutMs: 10_000,
    requestTimeoutMs: 20_000,
    keepAliveTimeoutMs: 5000,
    maxConnections: 1000,
    maxConnectionsPerClient: 100,
    maxStreams: 256,
    maxStreamsPerClient: 8,
    trustedProxies: [],
  });
  assert.deepEqual(d.rateLimits, {
    writes: { count: 100, periodMs: 10_000 },
    faucetPerWallet: { count: 3, periodMs: 60_000 },
    faucetGlobal: { count: 60, periodMs: 60_000 },
  });
  const c = run([
    "--header-timeout-ms",
    "2000",
    "--request-timeout-ms",
    "4000",
    "--keep-alive-timeout-ms",
    "100",
    "--max-connections",
    "5",
    "--max-connections-per-client",
    "2",
    "--max-streams",
    "3",
    "--max-streams-per-client",
    "1",
    "--write-rate",
    "off",
    "--faucet-rate",
    "1/1h",
    "--trusted-proxies",
    "10.0.0.1, ::ffff:10.0.0.2,2001:DB8::1",
  ], envOf({ REGISTRY_FAUCET_GLOBAL_RATE: "10/30s" }));
  assert.deepEqual(c.http, {
    server: "node",
    headerTimeoutMs: 2000,
    requestTimeoutMs: 4000,
    keepAliveTimeoutMs: 100,
    maxConnections: 5,
    maxConnectionsPerClient: 2,
    maxStreams: 3,
    maxStreamsPerClient: 1,
    trustedProxies: ["10.0.0.1", "10.0.0.2", "2001:db8::1"],
  });
  assert.deepEqual(c.rateLimits, {
    writes: null,
    faucetPerWallet: { count: 1, periodMs: 3_600_000 },
    faucetGlobal: { count: 10, periodMs: 30_000 },
  });
  // A header timeout above the default request timeout raises it.
  assert.equal(
    run(["--header-timeout-ms", "25000"]).http.requestTimeoutMs,
    25_000,
  );
  fails(
    ["--header-timeout-ms", "5000", "--request-timeout-ms", "2000"],
    /^--request-timeout-ms: 2000 is shorter than the header timeout \(5000 ms\)$/,
  );
  fails(
    ["--write-rate", "10 per s"],
    /^--write-rate: "10 per s" is not a rate/,
  );
  fails(["--faucet-rate", "0/1m"], /^--faucet-rate: "0\/1m" is not a rate/);
  fails(
    [],
    /^REGISTRY_FAUCET_GLOBAL_RATE: "fast" is not a rate/,
    envOf({ REGISTRY_FAUCET_GLOBAL_RATE: "fast" }),
  );
  fails(
    ["--trusted-proxies", "proxy.local"],
    /^--trusted-proxies: "proxy.local" is not an IP address/,
  );
  fails(["--max-streams", "0"], /^--max-streams: 0 is out of range/);
  fails(
    ["--keep-alive-timeout-ms", "soon"],
    /^--keep-alive-timeout-ms: "soon" is not a time in milliseconds/,
  );
});

Deno.test("config: --http-server deno, refused with TLS or the limits only node:http enforces", () => {
  assert.equal(run(["--http-server", "deno"]).http.server, "deno");
  assert.equal(
    run([], envOf({ REGISTRY_HTTP_SERVER: "deno" })).http.server,
    "deno",
  );
  // The stream and rate limits are the app's: they hold on either server.
  assert.equal(
    run(["--http-server", "deno", "--max-streams", "3"]).http.maxStreams,
    3,
  );
  fails(
    ["--http-server", "hyper"],
    /^--http-server: "hyper" is not one of node, deno$/,
  );
  fails(
    ["--http-server", "deno", "--tls-cert", "c.pem", "--tls-key", "k.pem"],
    /^--http-server deno serves plain HTTP behind a reverse proxy that terminates TLS; to serve HTTPS directly use --http-server node \(the default\)$/,
  );
  for (
    const flag of [
      "--header-timeout-ms",
      "--request-timeout-ms",
      "--keep-alive-timeout-ms",
      "--max-connections",
      "--max-connections-per-client",
    ]
  ) {
    fails(
      ["--http-server", "deno", flag, "20000"],
      new RegExp(
        `^${flag} is enforced by --http-server node only; with deno the reverse proxy in front sets it$`,
      ),
    );
  }
  fails(
    [],
    /^REGISTRY_MAX_CONNECTIONS is enforced by --http-server node only/,
    envOf({ REGISTRY_HTTP_SERVER: "deno", REGISTRY_MAX_CONNECTIONS: "5" }),
  );
});

Deno.test("config: the database URL selects PostgreSQL; a bad one is refused without showing its password", () => {
  assert.equal(run([]).databaseUrl, null);
  const url = "postgres://registry:s3cret@db.example:5432/registry";
  assert.equal(run(["--database-url", url]).databaseUrl, url);
  assert.equal(run([], envOf({ DATABASE_URL: url })).databaseUrl, url);
  assert.equal(
    run(["--database-url", "postgresql://h/db"], envOf({ DATABASE_URL: url }))
      .databaseUrl,
    "postgresql://h/db",
  );
  assert.equal(run([], envOf({ DATABASE_URL: "" })).databaseUrl, null);
  fails(
    ["--database-url", "mysql://registry:s3cret@db.example/registry"],
    /^--database-url: "mysql:\/\/registry:\*\*\*@db\.example\/registry" is not a PostgreSQL URL \(postgres:\/\/user:password@host:port\/database\)$/,
  );
  fails(
    [],
    /^DATABASE_URL: "registry\.db" is not a PostgreSQL URL/,
    envOf({ DATABASE_URL: "registry.db" }),
  );
  fails(["--database-url", "postgres://"], /is not a PostgreSQL URL/);
  assert(ENV_VARS.includes("DATABASE_URL"));
  assert.match(usage(), /--database-url URL +DATABASE_URL/);
});
