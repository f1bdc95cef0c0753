/**
 * Ending event streams at shutdown: Deno's `server.shutdown()` waits for
 * every response to finish, and an event stream never does by itself.
 *
 * @module
 */

/**
 * Wraps event-stream (`text/event-stream`) responses so shutdown can end
 * them: Deno's `server.shutdown()` waits for every response to finish, and
 * an event stream never does by itself.
 */
export class StreamCloser {
  readonly #open = new Set<() => void>();
  #closed = false;

  /** Event streams open now. */
  get size(): number {
    return this.#open.size;
  }

  /** Return `response`, with its body made closable if it is an event stream. */
  wrap(response: Response): Response {
    const type = response.headers.get("content-type") ?? "";
    if (!response.body || !type.startsWith("text/event-stream")) {
      return response;
    }
    const reader = response.body.getReader();
    let stop = () => {};
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        stop = () => {
          this.#open.delete(stop);
          reader.cancel().catch(() => {});
          try {
            controller.close();
          } catch {
            // Already closed.
          }
        };
        if (this.#closed) stop();
        else this.#open.add(stop);
      },
      pull: async (controller) => {
        const { done, value } = await reader.read().catch(() => ({
          done: true as const,
          value: undefined,
        }));
        if (done) {
          this.#open.delete(stop);
          try {
            controller.close();
          } catch {
            // Closed by stop().
          }
        } else {
          controller.enqueue(value);
        }
      },
      cancel: (reason) => {
        this.#open.delete(stop);
        return reader.cancel(reason);
      },
    });
    return new Response(body, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  }

  /** End every open event stream, and any opened from now on. */
  closeAll(): void {
    this.#closed = true;
    for (const stop of [...this.#open]) stop();
  }
}
