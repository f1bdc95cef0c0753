// TLS as an operator meets it: the registry (`registry/main.ts`, the start
// task's permissions) serves HTTPS with a self-signed certificate; a client
// that pins that certificate connects; the certificate is renewed in place
// and the registry told with SIGHUP: a keep-alive connection opened before
// keeps working, a new connection gets the new certificate (a client still
// pinning the old one is refused), and a broken file on a later SIGHUP
// leaves the current certificate serving.
import assert from "node:assert/strict";
import tls from "node:tls";
import { loadTlsFiles } from "../../registry/runtime/tls.ts";
import { RegistryProcess } from "../fault/registry_process.ts";
import { makeCertificate } from "./certs.ts";

/** One TLS connection speaking HTTP/1.1 keep-alive by hand. */
class KeepAlive {
  readonly socket: tls.TLSSocket;
  #buffer = "";
  #waiters: (() => void)[] = [];
  private constructor(socket: tls.TLSSocket) {
    this.socket = socket;
    socket.on("data", (d) => {
      this.#buffer += String(d);
      for (const w of this.#waiters.splice(0)) w();
    });
  }
  static async open(port: number, ca: string): Promise<KeepAlive> {
    const socket = tls.connect({
      host: "127.0.0.1",
      port,
      ca,
      servername: "localhost",
    });
    await new Promise<void>((resolve, reject) => {
      socket.once("secureConnect", () => resolve());
      socket.once("error", reject);
    });
    return new KeepAlive(socket);
  }
  /** The SHA-256 fingerprint of the certificate this connection got, hex. */
  get certificate(): string {
    return this.socket.getPeerCertificate().fingerprint256.replaceAll(":", "")
      .toLowerCase();
  }
  /** GET `path` on this connection; returns the status line. */
  async get(path: string): Promise<string> {
    this.#buffer = "";
    this.socket.write(`GET ${path} HTTP/1.1\r\nhost: localhost\r\n\r\n`);
    const deadline = Date.now() + 10_000;
    for (;;) {
      const head = this.#buffer.indexOf("\r\n\r\n");
      if (head >= 0) {
        const length = /content-length: (\d+)/i.exec(this.#buffer)?.[1];
        if (
          length !== undefined &&
          this.#buffer.length >= head + 4 + Number(length)
        ) {
          return this.#buffer.slice(0, this.#buffer.indexOf("\r\n"));
        }
      }
      assert(Date.now() < deadline, `no answer to ${path}: ${this.#buffer}`);
      assert(!this.socket.destroyed, "the connection was closed");
      await new Promise<void>((r) => {
        const t = setTimeout(r, 100);
        this.#waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }
  close(): void {
    this.socket.destroy();
  }
}

/** A fetch that trusts only `pem` (the certificate is pinned as its own CA). */
async function pinnedFetch(url: string, pem: string): Promise<Response> {
  const client = Deno.createHttpClient({ caCerts: [pem] });
  try {
    const r = await fetch(url, { client });
    await r.body?.cancel();
    return r;
  } finally {
    client.close();
  }
}

Deno.test({
  name:
    "TLS: a pinned client connects; SIGHUP with a renewed certificate keeps open connections and serves the new one to new connections",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const dir = await Deno.makeTempDir({ prefix: "ops-tls-" });
    let registry: RegistryProcess | null = null;
    try {
      const first = await makeCertificate(dir, "first");
      const second = await makeCertificate(dir, "second");
      // Where the operator's tooling (e.g. certbot's deploy hook) puts them.
      const live = { cert: `${dir}/live.crt`, key: `${dir}/live.key` };
      await Deno.copyFile(first.cert, live.cert);
      await Deno.copyFile(first.key, live.key);
      const firstPem = await Deno.readTextFile(first.cert);
      const secondPem = await Deno.readTextFile(second.cert);
      const firstInfo = (await loadTlsFiles(first.cert, first.key)).info;
      const secondInfo = (await loadTlsFiles(second.cert, second.key)).info;

      registry = await RegistryProcess.start([
        "--port",
        "0",
        "--data-dir",
        `${dir}/data`,
        "--probe",
        "off",
        "--tls-cert",
        live.cert,
        "--tls-key",
        live.key,
      ]);
      const r = registry;
      const port = r.port;
      const url = `https://127.0.0.1:${port}`;

      let kept: KeepAlive | null = null;
      await t.step("serves HTTPS; the listening line says so", async () => {
        const listening = r.lines.find((l) => l.msg === "listening")!;
        assert.equal(listening.url, url);
        const tlsFields = listening.tls as Record<string, string>;
        assert.equal(tlsFields.sha256, firstInfo.sha256);
        assert.equal(tlsFields.pinSha256, firstInfo.spkiSha256);
        const health = await pinnedFetch(`${url}/v1/health`, firstPem);
        assert.equal(health.status, 200);
        // Plain HTTP on the TLS port gets nowhere.
        await assert.rejects(
          fetch(`http://127.0.0.1:${port}/v1/health`, {
            signal: AbortSignal.timeout(5000),
          }),
        );
        kept = await KeepAlive.open(port, firstPem);
        assert.equal(kept.certificate, firstInfo.sha256);
        assert.match(await kept.get("/v1/health"), / 200 /);
      });

      await t.step(
        "SIGHUP after renewal: open connections stay, new ones get the new certificate",
        async () => {
          await Deno.copyFile(second.cert, live.cert);
          await Deno.copyFile(second.key, live.key);
          r.child.kill("SIGHUP");
          await waitFor(r, (l) => l.msg === "reloaded the TLS certificate");
          const reloaded = r.lines.find((l) =>
            l.msg === "reloaded the TLS certificate"
          )!;
          assert.equal(reloaded.sha256, secondInfo.sha256);
          // The connection opened before the reload keeps working.
          assert.match(await kept!.get("/v1/health"), / 200 /);
          assert.match(await kept!.get("/v1/info"), / 200 /);
          // A new connection sees the new certificate.
          const fresh = await KeepAlive.open(port, secondPem);
          assert.equal(fresh.certificate, secondInfo.sha256);
          assert.match(await fresh.get("/v1/health"), / 200 /);
          fresh.close();
          assert.equal(
            (await pinnedFetch(`${url}/v1/health`, secondPem)).status,
            200,
          );
          // A client still pinning the first certificate is refused.
          await assert.rejects(pinnedFetch(`${url}/v1/health`, firstPem));
        },
      );

      await t.step(
        "a broken file on SIGHUP keeps the current certificate",
        async () => {
          await Deno.copyFile(first.key, live.key); // not the certificate's key
          r.child.kill("SIGHUP");
          const failed = await waitFor(
            r,
            (l) =>
              l.msg ===
                "TLS reload failed: still serving the previous certificate",
          );
          assert.equal(failed.level, "error");
          assert.match(
            String(failed.error),
            /is not the key of the certificate/,
          );
          assert.equal(
            (await pinnedFetch(`${url}/v1/health`, secondPem)).status,
            200,
          );
          assert.match(await kept!.get("/v1/health"), / 200 /);
        },
      );

      await t.step(
        "shuts down cleanly with a TLS connection open",
        async () => {
          assert.equal(await r.stop(), 0);
          kept!.close();
          registry = null;
        },
      );
    } finally {
      await registry?.kill();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("TLS: a certificate without its key, or a key that is not the certificate's, stops the start", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ops-tls-bad-" });
  try {
    const a = await makeCertificate(dir, "a");
    const b = await makeCertificate(dir, "b");
    const run = async (args: string[]) => {
      const p = await RegistryProcess.start([
        "--port",
        "0",
        "--data-dir",
        `${dir}/data`,
        "--probe",
        "off",
        ...args,
      ]).then(
        async (p) => {
          await p.stop();
          return { code: 0, stderr: "" };
        },
        (e: Error) => ({ code: -1, stderr: e.message }),
      );
      return p;
    };
    const noKey = await run(["--tls-cert", a.cert]);
    assert.match(
      noKey.stderr,
      /--tls-cert needs the certificate's private key/,
    );
    const wrong = await run(["--tls-cert", a.cert, "--tls-key", b.key]);
    assert.match(wrong.stderr, /is not the key of the certificate/);
    const missing = await run([
      "--tls-cert",
      `${dir}/nope.crt`,
      "--tls-key",
      a.key,
    ]);
    assert.match(missing.stderr, /cannot read the TLS certificate/);
    // Nothing was created for a start that failed on its TLS files.
    await assert.rejects(Deno.stat(`${dir}/data/registry.db`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Wait (bounded) for a log line. */
async function waitFor(
  r: RegistryProcess,
  pred: (l: Record<string, unknown>) => boolean,
  timeoutMs = 15_000,
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = r.lines.find(pred);
    if (found) return found;
    assert(
      Date.now() < deadline,
      `no such log line; got ${JSON.stringify(r.lines.map((l) => l.msg))}`,
    );
    await new Promise((res) => setTimeout(res, 50));
  }
}
