/**
 * One HTTP/1.1 keep-alive connection to a function endpoint (TCP or a Unix domain socket): writes a POST, reads its
 * response — a `Content-Length` body, a chunked one, or one that ends with the connection — and stays open for the next
 * request unless the server said `Connection: close`.
 *
 * Why not `fetch`: on the remote path Deno's fetch cost ~80–100 µs of CPU per request (Request and Headers objects,
 * streams, the inspector bridge) against ~20 µs here, measured against the same Node server (BENCHMARKS.md, "Remote
 * functions"). Only what StateFun's protocol needs is here: a POST with a body, a response with a body, no
 * pipelining, no compression (no `Accept-Encoding` is sent), no redirects (a 3xx fails the attempt, as on StateFun).
 * TLS endpoints still go through fetch (http_client.ts).
 *
 * @module
 */

/** Why a request on a connection failed; `beforeResponse` when no byte of a response had arrived. */
export class Http1Error extends Error {
  /**
   * Creates it.
   *
   * @param message What went wrong.
   * @param beforeResponse Whether it failed before any byte of the response arrived (a stale pooled connection).
   */
  constructor(message: string, readonly beforeResponse: boolean) {
    super(message);
    this.name = "Http1Error";
  }
}

/** A response as the protocol needs it. */
export interface Http1Response {
  status: number;
  /** The Content-Type header, or null. */
  contentType: string | null;
  body: Uint8Array;
}

/** How one request is read. */
export interface Http1ReadOptions {
  /** The largest body accepted. */
  maxBodyBytes: number;
  /** Called whenever bytes arrive (re-arms a read timeout). */
  progress?: () => void;
}

const CR = 13;
const LF = 10;
/** Response heads longer than this are refused (Node's limit is 16 KiB). */
const MAX_HEAD_BYTES = 64 * 1024;
const latin1 = new TextDecoder("latin1");

/**
 * The bytes of a POST's request line and headers up to the value of `Content-Length` (which request() writes), with
 * the headers StateFun's transports send.
 */
export function requestHead(path: string, host: string, contentType: string): Uint8Array {
  return new TextEncoder().encode(
    `POST ${path} HTTP/1.1\r\nHost: ${host}\r\nContent-Type: ${contentType}\r\nAccept: ${contentType}\r\n` +
      "User-Agent: statefun\r\nConnection: keep-alive\r\nContent-Length: ",
  );
}

/** A keep-alive connection; one request at a time. */
export class Http1Connection {
  readonly #conn: Deno.Conn;
  /** Bytes read and not yet used: `#buffer[#start, #end)`. */
  #buffer = new Uint8Array(8 * 1024);
  #start = 0;
  #end = 0;
  #closed = false;
  /** Whether the server lets the connection be used again after the current response. */
  reusable = true;
  /** The server's `Keep-Alive: timeout=N`, ms, if it sent one: an idle connection older than that is not reused. */
  keepAliveMs: number | undefined;
  /** When the connection last finished a response (performance.now()). */
  idleSince = 0;
  /** Requests made on it. */
  requests = 0;

  /** @param conn An open socket. */
  constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }

  /** Whether it was closed (by close(), an error or the server). */
  get closed(): boolean {
    return this.#closed;
  }

  /** Closes the socket; a request waiting on it fails. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch {
      // already closed by the runtime
    }
  }

  /**
   * Sends a request — `head` (the request line and headers up to `Content-Length: `, see requestHead), the body's
   * length, an empty line and `body` — and reads the response.
   *
   * @throws {Http1Error} when the connection fails or the response is not HTTP/1.x as expected; the connection is
   * closed then.
   */
  async request(head: Uint8Array, body: Uint8Array, options: Http1ReadOptions): Promise<Http1Response> {
    this.requests++;
    let responded = false;
    try {
      const length = String(body.length);
      const out = new Uint8Array(head.length + length.length + 4 + body.length);
      out.set(head);
      let at = head.length;
      for (let i = 0; i < length.length; i++) out[at++] = length.charCodeAt(i);
      out[at++] = CR;
      out[at++] = LF;
      out[at++] = CR;
      out[at++] = LF;
      out.set(body, at);
      for (let written = 0; written < out.length;) written += await this.#conn.write(out.subarray(written));
      const headEnd = await this.#readHead(options, () => responded = true);
      const response = this.#parseHead(headEnd);
      const bodyBytes = await this.#readBody(response, options);
      if (this.#start !== this.#end) {
        // Bytes after the response (nothing was asked for them): the connection's state is unknown.
        this.reusable = false;
      }
      this.idleSince = performance.now();
      if (!this.reusable) this.close();
      return { status: response.status, contentType: response.contentType, body: bodyBytes };
    } catch (error) {
      this.close();
      if (error instanceof Http1Error) throw error;
      const message = error instanceof Error ? error.message : String(error);
      throw new Http1Error(
        responded ? `the connection failed while reading the response: ${message}` : message,
        !responded,
      );
    }
  }

  /** Reads until the head's empty line; returns the index just past it. */
  async #readHead(options: Http1ReadOptions, firstByte: () => void): Promise<number> {
    // Bytes from #start already scanned (an offset: #fill may move the buffered bytes to the buffer's start).
    let scanned = 0;
    for (;;) {
      const buffer = this.#buffer;
      for (let i = this.#start + Math.max(scanned, 3); i < this.#end; i++) {
        if (buffer[i] === LF && buffer[i - 1] === CR && buffer[i - 2] === LF && buffer[i - 3] === CR) return i + 1;
      }
      scanned = Math.max(0, this.#end - this.#start - 3);
      if (this.#end - this.#start > MAX_HEAD_BYTES) {
        throw new Http1Error(`the response's head is longer than ${MAX_HEAD_BYTES} bytes`, false);
      }
      if (!await this.#fill()) {
        throw new Http1Error(
          this.#end === this.#start
            ? "the server closed the connection without a response"
            : "the server closed the connection in the middle of the response's head",
          this.#end === this.#start,
        );
      }
      firstByte();
      options.progress?.();
    }
  }

  #parseHead(headEnd: number): { status: number; contentType: string | null; length: number | "chunked" | "close" } {
    const head = this.#buffer.subarray(this.#start, headEnd - 4);
    // Short heads (all of a function's answers) become a string without a decoder op: a profile showed the op.
    const text = head.length <= 2048
      ? String.fromCharCode.apply(null, head as unknown as number[])
      : latin1.decode(head);
    this.#start = headEnd;
    const lines = text.split("\r\n");
    const status = /^HTTP\/1\.([01]) (\d{3})/.exec(lines[0]);
    if (status === null) {
      throw new Http1Error(
        `the response does not start with an HTTP/1.x status line: ${JSON.stringify(lines[0])}`,
        false,
      );
    }
    const code = Number(status[2]);
    let contentType: string | null = null;
    let length: number | undefined;
    let chunked = false;
    let keepAlive = status[1] === "1";
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i];
      const colon = line.indexOf(":");
      if (colon <= 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === "content-length") {
        if (!/^\d+$/.test(value)) {
          throw new Http1Error(`the response's Content-Length is ${JSON.stringify(value)}`, false);
        }
        length = Number(value);
      } else if (name === "transfer-encoding") {
        chunked = value.toLowerCase().split(",").map((part) => part.trim()).includes("chunked");
      } else if (name === "content-type") {
        contentType = contentType === null ? value : `${contentType}, ${value}`;
      } else if (name === "connection") {
        const tokens = value.toLowerCase().split(",").map((part) => part.trim());
        if (tokens.includes("close")) keepAlive = false;
        else if (tokens.includes("keep-alive")) keepAlive = true;
      } else if (name === "keep-alive") {
        const timeout = /timeout=(\d+)/i.exec(value);
        if (timeout !== null) this.keepAliveMs = Number(timeout[1]) * 1000;
      }
    }
    if (code >= 100 && code < 200) {
      throw new Http1Error(`the server answered ${code} (an interim response Eddy does not ask for)`, false);
    }
    if (!keepAlive) this.reusable = false;
    // A body without a length or chunking ends with the connection (RFC 9112 6.3).
    const framing = chunked ? "chunked" : length ?? (code === 204 || code === 304 ? 0 : "close");
    if (framing === "close") this.reusable = false;
    return { status: code, contentType, length: framing };
  }

  async #readBody(
    response: { length: number | "chunked" | "close" },
    options: Http1ReadOptions,
  ): Promise<Uint8Array> {
    const { length } = response;
    if (typeof length === "number") {
      if (length > options.maxBodyBytes) {
        this.reusable = false;
        throw new Http1Error(`the response is larger than ${options.maxBodyBytes} bytes (payload_max_bytes)`, false);
      }
      return await this.#readExactly(length, options);
    }
    const parts: Uint8Array[] = [];
    let total = 0;
    const add = (part: Uint8Array) => {
      total += part.length;
      if (total > options.maxBodyBytes) {
        throw new Http1Error(`the response is larger than ${options.maxBodyBytes} bytes (payload_max_bytes)`, false);
      }
      parts.push(part);
    };
    if (length === "close") {
      for (;;) {
        if (this.#end > this.#start) {
          add(this.#buffer.slice(this.#start, this.#end));
          this.#start = this.#end;
        }
        if (!await this.#fill()) break;
        options.progress?.();
      }
      return join(parts, total);
    }
    for (;;) {
      const line = await this.#readLine(options);
      const sizeText = line.split(";")[0].trim();
      const chunkSize = /^[0-9a-fA-F]{1,12}$/.test(sizeText) ? parseInt(sizeText, 16) : Number.NaN;
      if (Number.isNaN(chunkSize)) {
        throw new Http1Error(`a chunk of the response has the size line ${JSON.stringify(line)}`, false);
      }
      if (chunkSize === 0) {
        // Trailers, if any, up to the empty line.
        while ((await this.#readLine(options)) !== "");
        return join(parts, total);
      }
      if (total + chunkSize > options.maxBodyBytes) {
        throw new Http1Error(`the response is larger than ${options.maxBodyBytes} bytes (payload_max_bytes)`, false);
      }
      add(await this.#readExactly(chunkSize, options));
      if ((await this.#readLine(options)) !== "") {
        throw new Http1Error("a chunk of the response does not end with CRLF", false);
      }
    }
  }

  /** The next `n` bytes, as a new array. */
  async #readExactly(n: number, options: Http1ReadOptions): Promise<Uint8Array> {
    const out = new Uint8Array(n);
    const buffered = Math.min(n, this.#end - this.#start);
    out.set(this.#buffer.subarray(this.#start, this.#start + buffered));
    this.#start += buffered;
    let filled = buffered;
    while (filled < n) {
      // The rest is read straight into the result.
      const read = await this.#conn.read(out.subarray(filled));
      if (read === null) {
        throw new Http1Error(`the server closed the connection after ${filled} of the body's ${n} bytes`, false);
      }
      filled += read;
      options.progress?.();
    }
    return out;
  }

  /** A line up to CRLF (without it), latin1. */
  async #readLine(options: Http1ReadOptions): Promise<string> {
    for (;;) {
      for (let i = this.#start + 1; i < this.#end; i++) {
        if (this.#buffer[i] === LF && this.#buffer[i - 1] === CR) {
          const line = latin1.decode(this.#buffer.subarray(this.#start, i - 1));
          this.#start = i + 1;
          return line;
        }
      }
      if (this.#end - this.#start > MAX_HEAD_BYTES) throw new Http1Error("a chunk size line is too long", false);
      if (!await this.#fill()) throw new Http1Error("the server closed the connection in a chunked body", false);
      options.progress?.();
    }
  }

  /** Reads more bytes into the buffer; false at the end of the stream. */
  async #fill(): Promise<boolean> {
    if (this.#start === this.#end) this.#start = this.#end = 0;
    if (this.#end === this.#buffer.length) {
      if (this.#start > 0) {
        this.#buffer.copyWithin(0, this.#start, this.#end);
        this.#end -= this.#start;
        this.#start = 0;
      } else {
        const grown = new Uint8Array(this.#buffer.length * 2);
        grown.set(this.#buffer);
        this.#buffer = grown;
      }
    }
    const read = await this.#conn.read(this.#buffer.subarray(this.#end));
    if (read === null) return false;
    this.#end += read;
    return true;
  }
}

function join(parts: Uint8Array[], size: number): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
