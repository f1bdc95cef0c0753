/**
 * A minimal HTTP/1.1 keep-alive client over one TCP connection, for load
 * generators: far cheaper per request than `fetch`, so the process under
 * test gets the CPU. Understands `content-length` and chunked bodies.
 *
 * @module
 */

const CRLF2 = new Uint8Array([13, 10, 13, 10]);
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function indexOf(hay: Uint8Array, needle: Uint8Array, from = 0): number {
  outer: for (let i = from; i <= hay.length - needle.length; i++) {
    for (let j = 0; j < needle.length; j++) {
      if (hay[i + j] !== needle[j]) continue outer;
    }
    return i;
  }
  return -1;
}

/** A response: status, lower-case headers, body. */
export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array;
}

/** One keep-alive connection. */
export class KeepAliveClient {
  readonly #conn: Deno.TcpConn;
  #buf = new Uint8Array(0);

  private constructor(conn: Deno.TcpConn) {
    this.#conn = conn;
  }

  /** Connect to 127.0.0.1:`port`. */
  static async open(port: number): Promise<KeepAliveClient> {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.setNoDelay(true);
    return new KeepAliveClient(conn);
  }

  /** Send a request and read its response. */
  async request(
    method: string,
    path: string,
    headers: Record<string, string> = {},
    body?: Uint8Array,
  ): Promise<RawResponse> {
    let head = `${method} ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\n`;
    for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
    if (body) head += `content-length: ${body.length}\r\n`;
    const h = encoder.encode(head + "\r\n");
    if (body) {
      const all = new Uint8Array(h.length + body.length);
      all.set(h);
      all.set(body, h.length);
      await this.#writeAll(all);
    } else await this.#writeAll(h);
    return await this.#read();
  }

  close(): void {
    try {
      this.#conn.close();
    } catch { /* closed */ }
  }

  async #writeAll(bytes: Uint8Array): Promise<void> {
    let at = 0;
    while (at < bytes.length) at += await this.#conn.write(bytes.subarray(at));
  }

  async #fill(): Promise<void> {
    const chunk = new Uint8Array(65536);
    const n = await this.#conn.read(chunk);
    if (n === null) throw new Error("connection closed");
    const next = new Uint8Array(this.#buf.length + n);
    next.set(this.#buf);
    next.set(chunk.subarray(0, n), this.#buf.length);
    this.#buf = next;
  }

  async #read(): Promise<RawResponse> {
    let end: number;
    while ((end = indexOf(this.#buf, CRLF2)) < 0) await this.#fill();
    const [statusLine, ...lines] = decoder.decode(this.#buf.subarray(0, end))
      .split("\r\n");
    const headers: Record<string, string> = {};
    for (const l of lines) {
      const i = l.indexOf(":");
      headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
    }
    const status = Number(statusLine!.split(" ")[1]);
    this.#buf = this.#buf.subarray(end + 4);
    let body: Uint8Array;
    if (headers["transfer-encoding"]?.includes("chunked")) {
      const parts: Uint8Array[] = [];
      for (;;) {
        let nl: number;
        while ((nl = indexOf(this.#buf, CRLF2.subarray(2))) < 0) {
          await this.#fill();
        }
        const size = parseInt(decoder.decode(this.#buf.subarray(0, nl)), 16);
        while (this.#buf.length < nl + 2 + size + 2) await this.#fill();
        parts.push(this.#buf.slice(nl + 2, nl + 2 + size));
        this.#buf = this.#buf.subarray(nl + 2 + size + 2);
        if (size === 0) break;
      }
      body = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
      let at = 0;
      for (const p of parts) {
        body.set(p, at);
        at += p.length;
      }
    } else {
      const length = status === 304 || status === 204
        ? 0
        : Number(headers["content-length"] ?? 0);
      while (this.#buf.length < length) await this.#fill();
      body = this.#buf.slice(0, length);
      this.#buf = this.#buf.subarray(length);
    }
    return { status, headers, body };
  }
}
