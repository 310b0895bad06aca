/**
 * The local state store (`--state-dir`, like Kafka Streams' `state.dir`): a task's committed changelog records in a
 * SQLite file (`node:sqlite`, built into Deno), with the checkpoint — the changelog offset the file reflects — in the
 * same file, written in the same SQLite transaction as the records it covers. So the file and its checkpoint never
 * disagree, whatever way the process stops, and a start reads only the changelog after the checkpoint.
 *
 * The file is a cache of the changelog, not a second source of truth: it is written without fsync (a power loss may
 * take the latest transactions with it, and the checkpoint with them), and one that cannot be opened is deleted and
 * rebuilt from the changelog.
 *
 * Layout: `<state-dir>/<changelog topic>/task-<p>.sqlite`, and `instance.lock` beside them, held by the one instance
 * that uses the folder (two instances sharing a folder would overwrite each other's tasks).
 *
 * @module
 */

import { DatabaseSync, type StatementSync } from "node:sqlite";
import { type ChangelogWrite, type Checkpoint, isStateId, type StateStore, typenameOfStateId } from "./state_store.ts";

/** Bumped when the file layout changes: a file of another format is rebuilt from the changelog. */
const FORMAT = 1;

/** A state folder that cannot be made or written. */
export class StateDirectoryError extends Error {
  /**
   * @param path The folder.
   * @param cause Why.
   */
  constructor(readonly path: string, cause: unknown) {
    super(`cannot keep state in ${path} (--state-dir): ${cause instanceof Error ? cause.message : cause}`, { cause });
    this.name = "StateDirectoryError";
  }
}

/** The state folder of an app is in use by another process. */
export class StateDirectoryLockedError extends Error {
  /** @param path The folder. */
  constructor(readonly path: string) {
    super(
      `the state directory ${path} is in use by another Eddy instance: give each instance its own --state-dir`,
    );
    this.name = "StateDirectoryLockedError";
  }
}

/** An app's state folder, locked for this process until closed. */
export class StateDirectory {
  readonly #lock: DatabaseSync;

  private constructor(readonly path: string, lock: DatabaseSync) {
    this.#lock = lock;
  }

  /**
   * Opens (creating) `<root>/<changelogTopic>` and takes its lock.
   *
   * @throws {StateDirectoryLockedError} when another process holds it; {StateDirectoryError} when it cannot be made
   *   or written.
   */
  static open(root: string, changelogTopic: string): StateDirectory {
    const path = `${root.replace(/\/+$/, "")}/${changelogTopic}`;
    let lock: DatabaseSync;
    try {
      Deno.mkdirSync(path, { recursive: true });
      lock = new DatabaseSync(`${path}/instance.lock`);
    } catch (error) {
      throw new StateDirectoryError(path, error);
    }
    try {
      // An exclusive SQLite lock is a POSIX lock of the process: the kernel releases it when the process dies.
      lock.exec("PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE");
    } catch (error) {
      lock.close();
      if (/locked|busy/i.test(String(error))) throw new StateDirectoryLockedError(path);
      throw new StateDirectoryError(path, error);
    }
    return new StateDirectory(path, lock);
  }

  /** The file of task p. */
  taskFile(p: number): string {
    return `${this.path}/task-${p}.sqlite`;
  }

  /** Opens task p's store (see `SqliteStateStore.open`). */
  openTask(p: number, warn: (message: string) => void): SqliteStateStore {
    return SqliteStateStore.open(this.taskFile(p), warn);
  }

  /** Releases the lock. */
  close(): void {
    this.#lock.close();
  }
}

/** A task's committed state in a SQLite file. */
export class SqliteStateStore implements StateStore {
  readonly kind = "sqlite";
  #checkpoint: Checkpoint | undefined;
  #open = true;
  readonly #db: DatabaseSync;
  readonly #statements: Record<
    "get" | "insert" | "update" | "delete" | "types" | "ofType" | "records",
    StatementSync
  >;
  readonly #saveCheckpoint: StatementSync;
  readonly #encoder = new TextEncoder();
  readonly #decoder = new TextDecoder();
  #size: number;

  private constructor(db: DatabaseSync) {
    this.#db = db;
    db.exec(`
      PRAGMA locking_mode = EXCLUSIVE;
      PRAGMA journal_mode = WAL;
      PRAGMA synchronous = OFF;
      CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS records (
        id BLOB PRIMARY KEY, typename TEXT, key BLOB NOT NULL, value BLOB NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS records_by_type ON records (typename) WHERE typename IS NOT NULL;
    `);
    const meta = new Map(
      (db.prepare("SELECT name, value FROM meta").all() as { name: string; value: number }[])
        .map(({ name, value }) => [name, Number(value)]),
    );
    const format = meta.get("format");
    if (format !== undefined && format !== FORMAT) {
      db.exec("DELETE FROM records; DELETE FROM meta");
      meta.clear();
    }
    db.prepare("INSERT OR REPLACE INTO meta (name, value) VALUES ('format', ?)").run(FORMAT);
    const offset = meta.get("checkpoint_offset");
    const writtenAt = meta.get("checkpoint_written_at");
    this.#checkpoint = offset === undefined || writtenAt === undefined ? undefined : { offset, writtenAt };
    this.#statements = {
      get: db.prepare("SELECT value FROM records WHERE id = ?"),
      insert: db.prepare("INSERT OR IGNORE INTO records (id, typename, key, value) VALUES (?, ?, ?, ?)"),
      update: db.prepare("UPDATE records SET value = ? WHERE id = ?"),
      delete: db.prepare("DELETE FROM records WHERE id = ?"),
      types: db.prepare("SELECT DISTINCT typename FROM records WHERE typename IS NOT NULL"),
      ofType: db.prepare("SELECT id, value FROM records WHERE typename = ?"),
      records: db.prepare("SELECT key, value FROM records WHERE typename IS NULL"),
    };
    this.#saveCheckpoint = db.prepare(
      "INSERT OR REPLACE INTO meta (name, value) VALUES ('checkpoint_offset', ?), ('checkpoint_written_at', ?)",
    );
    this.#size = Number(
      (db.prepare("SELECT count(*) AS n FROM records WHERE typename IS NOT NULL").get() as {
        n: number;
      }).n,
    );
  }

  /**
   * Opens (creating) the store in `file`. A file that cannot be read as one is deleted and started afresh (the
   * changelog rebuilds it), with a warning.
   */
  static open(file: string, warn: (message: string) => void): SqliteStateStore {
    try {
      return new SqliteStateStore(new DatabaseSync(file));
    } catch (error) {
      warn(`the local state file ${file} cannot be read (${error}): deleting it, the changelog restores it`);
      for (const suffix of ["", "-wal", "-shm"]) {
        try {
          Deno.removeSync(file + suffix);
        } catch (removal) {
          if (!(removal instanceof Deno.errors.NotFound)) throw removal;
        }
      }
      return new SqliteStateStore(new DatabaseSync(file));
    }
  }

  /** Where the store stands with its changelog. */
  get checkpoint(): Checkpoint | undefined {
    return this.#checkpoint;
  }

  /** State values held. */
  get size(): number {
    return this.#size;
  }

  /** The value bytes of a record. */
  get(id: string): Uint8Array | undefined {
    const row = this.#statements.get.get(this.#encoder.encode(id)) as { value: Uint8Array } | undefined;
    return row?.value;
  }

  /** Applies committed records and the checkpoint they reach, in one SQLite transaction. */
  apply(writes: Iterable<ChangelogWrite>, checkpoint?: Checkpoint): void {
    const { insert, update, delete: remove } = this.#statements;
    this.#db.exec("BEGIN");
    try {
      for (const { id, key, value } of writes) {
        const state = isStateId(id);
        const idBytes = this.#encoder.encode(id);
        if (value === null) {
          if (remove.run(idBytes).changes !== 0 && state) this.#size--;
        } else if (insert.run(idBytes, state ? typenameOfStateId(id) : null, key, value).changes !== 0) {
          if (state) this.#size++;
        } else update.run(value, idBytes);
      }
      if (checkpoint !== undefined) this.#saveCheckpoint.run(checkpoint.offset, checkpoint.writtenAt);
      this.#db.exec("COMMIT");
      if (checkpoint !== undefined) this.#checkpoint = checkpoint;
    } catch (error) {
      this.#db.exec("ROLLBACK");
      throw error;
    }
  }

  /** The function types with state values held. */
  stateTypes(): string[] {
    return (this.#statements.types.all() as { typename: string }[]).map((row) => row.typename);
  }

  /** The state values of one function type. */
  *stateOf(typename: string): Iterable<[string, Uint8Array]> {
    for (const row of this.#statements.ofType.iterate(typename) as Iterable<{ id: Uint8Array; value: Uint8Array }>) {
      yield [this.#decoder.decode(row.id), row.value];
    }
  }

  /** Timer and pending-message records. */
  records(): Iterable<{ key: Uint8Array; value: Uint8Array }> {
    return this.#statements.records.iterate() as Iterable<{ key: Uint8Array; value: Uint8Array }>;
  }

  /** Drops every record and the checkpoint. */
  clear(): void {
    this.#db.exec("DELETE FROM records; DELETE FROM meta WHERE name LIKE 'checkpoint%'");
    this.#size = 0;
    this.#checkpoint = undefined;
  }

  /** Closes the file. */
  close(): void {
    if (!this.#open) return;
    this.#open = false;
    this.#db.close();
  }
}
