/**
 * The keep-alive connections to one endpoint's host (or Unix socket), as StateFun's async transport pools them: at
 * most `pool_size` open at once (more calls wait for one), an idle connection closed once it has been idle `pool_ttl`
 * (or past the server's own `Keep-Alive: timeout`, a second early, so that its closing does not race our request).
 *
 * A pooled connection the server closed while it was idle fails its next request before any byte of a response;
 * that request is sent again once on a new connection, as OkHttp and Netty do, instead of failing the attempt.
 *
 * @module
 */

import { Http1Connection, Http1Error, type Http1ReadOptions, type Http1Response } from "./http1_connection.ts";

/** Where the pool connects. */
export type Http1Target = { hostname: string; port: number } | { path: string };

/** How many connections, and for how long. */
export interface Http1PoolOptions {
  /** Connections open at once (StateFun's `pool_size`, default 1024). */
  maxConnections: number;
  /** How long a connection may stay idle before it is closed, ms (StateFun's `pool_ttl`, default 15 s). */
  idleTtlMs: number;
}

/**
 * How a call is given up (the attempt's timer): `cancelled` and its `reason` once it is, and `onCancel`, which the pool
 * sets while it waits for a connection or a response. Cheaper per call than an AbortSignal and its listeners.
 */
export interface Cancellation {
  readonly cancelled: boolean;
  readonly reason: unknown;
  onCancel: (() => void) | undefined;
}

/** A margin under the server's keep-alive timeout: an idle connection that close to it is not reused. */
const KEEP_ALIVE_MARGIN_MS = 1_000;

/** The connections to one target. */
export class Http1Pool {
  readonly #target: Http1Target;
  readonly #options: Http1PoolOptions;
  /** Idle connections, the most recently used last (taken first: the others age out). */
  readonly #idle: Http1Connection[] = [];
  /** Connections open or being opened. */
  #open = 0;
  /** Calls waiting for a connection. */
  readonly #waiting: (() => void)[] = [];
  #closed = false;

  /**
   * @param target The host and port, or the socket file.
   * @param options Limits.
   */
  constructor(target: Http1Target, options: Http1PoolOptions) {
    this.#target = target;
    this.#options = options;
  }

  /** Connections open now (idle or in use). */
  get openConnections(): number {
    return this.#open;
  }

  /**
   * Sends one request on a pooled connection (see Http1Connection.request). `cancel` gives it up: the connection it
   * uses is closed.
   *
   * @throws {Http1Error} or the connect error; the cancellation's reason when cancelled.
   */
  async post(
    head: Uint8Array,
    body: Uint8Array,
    options: Http1ReadOptions,
    cancel?: Cancellation,
  ): Promise<Http1Response> {
    let connection = await this.#take(cancel);
    const reused = connection.requests > 0;
    try {
      return await this.#send(connection, head, body, options, cancel);
    } catch (error) {
      // A reused connection the server had closed: once more, on a new one.
      if (!reused || !(error instanceof Http1Error) || !error.beforeResponse || cancel?.cancelled) throw error;
      connection = await this.#connect(cancel);
      return await this.#send(connection, head, body, options, cancel);
    }
  }

  /** Closes every idle connection; those in use close when their request ends. */
  close(): void {
    this.#closed = true;
    for (const connection of this.#idle.splice(0)) this.#drop(connection);
    for (const wake of this.#waiting.splice(0)) wake();
  }

  async #send(
    connection: Http1Connection,
    head: Uint8Array,
    body: Uint8Array,
    options: Http1ReadOptions,
    cancel: Cancellation | undefined,
  ): Promise<Http1Response> {
    if (cancel !== undefined) cancel.onCancel = () => connection.close();
    try {
      return await connection.request(head, body, options);
    } catch (error) {
      if (cancel?.cancelled) throw cancel.reason;
      throw error;
    } finally {
      if (cancel !== undefined) cancel.onCancel = undefined;
      this.#release(connection);
    }
  }

  async #take(cancel: Cancellation | undefined): Promise<Http1Connection> {
    for (;;) {
      if (cancel?.cancelled) throw cancel.reason;
      if (this.#closed) throw new Http1Error("the endpoint's connections were closed (the app is stopping)", true);
      const now = performance.now();
      while (this.#idle.length > 0) {
        const connection = this.#idle.pop()!;
        const ttl = Math.min(
          this.#options.idleTtlMs,
          connection.keepAliveMs === undefined ? Infinity : connection.keepAliveMs - KEEP_ALIVE_MARGIN_MS,
        );
        if (!connection.closed && now - connection.idleSince < ttl) return connection;
        this.#drop(connection);
      }
      if (this.#open < this.#options.maxConnections) return await this.#connect(cancel);
      await new Promise<void>((resolve, reject) => {
        const wake = () => {
          if (cancel !== undefined) cancel.onCancel = undefined;
          resolve();
        };
        if (cancel !== undefined) {
          cancel.onCancel = () => {
            const at = this.#waiting.indexOf(wake);
            if (at >= 0) this.#waiting.splice(at, 1);
            reject(cancel.reason);
          };
        }
        this.#waiting.push(wake);
      });
    }
  }

  async #connect(cancel: Cancellation | undefined): Promise<Http1Connection> {
    this.#open++;
    let conn: Deno.Conn;
    try {
      conn = "path" in this.#target
        ? await Deno.connect({ transport: "unix", path: this.#target.path })
        : await Deno.connect({ hostname: this.#target.hostname, port: this.#target.port });
    } catch (error) {
      this.#open--;
      this.#wakeOne();
      throw error;
    }
    if ("setNoDelay" in conn) (conn as Deno.TcpConn).setNoDelay(true);
    const connection = new Http1Connection(conn);
    if (cancel?.cancelled || this.#closed) {
      this.#drop(connection);
      if (cancel?.cancelled) throw cancel.reason;
      throw new Http1Error("the endpoint's connections were closed (the app is stopping)", true);
    }
    return connection;
  }

  #release(connection: Http1Connection): void {
    if (connection.closed || !connection.reusable || this.#closed) {
      this.#drop(connection);
      return;
    }
    this.#idle.push(connection);
    this.#wakeOne();
  }

  #drop(connection: Http1Connection): void {
    connection.close();
    this.#open--;
    this.#wakeOne();
  }

  #wakeOne(): void {
    this.#waiting.shift()?.();
  }
}
