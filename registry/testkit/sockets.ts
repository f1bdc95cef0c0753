/**
 * Raw TCP clients for tests of the connection layer: send exactly the bytes
 * a slow, silent or malformed client would, and see what comes back and
 * when the server closes. Loopback only; every wait is bounded.
 *
 * @module
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A raw connection and what the server sent on it. */
export class RawClient {
  readonly conn: Deno.TcpConn;
  /** Everything received so far, as text. */
  received = "";
  /** When the server closed it (ms since it was opened), or null while open. */
  closedAfterMs: number | null = null;
  readonly #opened = performance.now();
  readonly #done: Promise<void>;

  private constructor(conn: Deno.TcpConn) {
    this.conn = conn;
    this.#done = (async () => {
      const buf = new Uint8Array(16 * 1024);
      try {
        for (;;) {
          const n = await conn.read(buf);
          if (n === null) break;
          this.received += decoder.decode(buf.subarray(0, n));
        }
      } catch {
        // Reset or closed by us.
      }
      this.closedAfterMs = performance.now() - this.#opened;
    })();
  }

  /** Connect to 127.0.0.1:`port`. */
  static async open(port: number, hostname = "127.0.0.1"): Promise<RawClient> {
    return new RawClient(await Deno.connect({ hostname, port }));
  }

  /** Send text; false if the connection is gone. */
  async send(text: string): Promise<boolean> {
    try {
      await this.conn.write(encoder.encode(text));
      return true;
    } catch {
      return false;
    }
  }

  /** Whether the server has closed it. */
  get closed(): boolean {
    return this.closedAfterMs !== null;
  }

  /** Wait (at most `timeoutMs`) for the server to close; true if it did. */
  async closedWithin(timeoutMs: number): Promise<boolean> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const r = await Promise.race([
      this.#done.then(() => true),
      new Promise<boolean>((res) => {
        timer = setTimeout(() => res(false), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    return r;
  }

  /** Wait (at most `timeoutMs`) until `received` matches. */
  async waitFor(pattern: RegExp, timeoutMs = 5000): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    while (!pattern.test(this.received)) {
      if (this.closed || performance.now() > deadline) {
        return pattern.test(this.received);
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    return true;
  }

  /** The status code of the first response received, if any. */
  get status(): number | null {
    const m = /^HTTP\/1\.1 (\d{3})/.exec(this.received);
    return m ? Number(m[1]) : null;
  }

  /** The body of the first response, parsed as JSON (problem documents). */
  json(): Record<string, unknown> {
    const i = this.received.indexOf("\r\n\r\n");
    return JSON.parse(this.received.slice(i + 4));
  }

  /** Close our side (idempotent) and wait for the reader. */
  async close(): Promise<void> {
    try {
      this.conn.close();
    } catch {
      // Already closed.
    }
    await this.#done;
  }
}
