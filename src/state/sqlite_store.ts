/**
 * The local state store (`--state-dir`, like Kafka Streams' `state.dir`): a task's committed changelog records in a
 * SQLite file (`node:sqlite`, built into Deno), with the checkpoint — the changelog offset the file reflects — in the
 * same file, written in the same SQLite transaction as the records it covers. So the file and its checkpoint never
 * disagree, whatever way the process stops, and a start reads only the changelog after the checkpoint.
 *
 * The file is a cache of the changelog, not a second source of truth: it is written without fsync (a power loss may
 * take the latest transactions with it, and the checkpoint with them), and one that cannot be opened is deleted and
 * rebuilt from the changelog. A file that cannot be written (a full or read-only file system) is kept as it is: the
 * write fails as a whole (records and checkpoint roll back together) with a `StateStoreWriteError` naming the file,
 * and the task stops there; the changelog still holds everything, and a start once the folder can be written again
 * reads it from the file's last checkpoint on.
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

/** A task's state file that cannot be opened or written (full or read-only file system, I/O error). */
export class StateStoreWriteError extends Error {
  /**
   * @param file The task's file.
   * @param cause Why (SQLite's error).
   */
  constructor(readonly file: string, cause: unknown) {
    const folder = file.slice(0, file.lastIndexOf("/")) || ".";
    const reason = cause instanceof Error ? cause.message : String(cause);
    // SQLite says "disk I/O error" for a read-only file system, among others: the folder's own answer says more.
    const probe = /I\/O|unable to open|cannot open/i.test(reason) ? folderWriteError(folder) : undefined;
    super(
      `cannot write the local state in ${folder} (--state-dir), file ${file.slice(folder.length + 1)}: ` +
        `${reason}${probe === undefined ? "" : ` (writing a file there: ${probe})`}. The changelog keeps the state: ` +
        "the task stops here and " +
        "starts from the changelog again (POST /v1/tasks/<task>/restart, or the next start) once the folder can be " +
        "written",
      { cause },
    );
    this.name = "StateStoreWriteError";
  }
}

/** Why a file cannot be written in `folder`, or undefined when it can. */
function folderWriteError(folder: string): string | undefined {
  const probe = `${folder}/.eddy-write-check-${crypto.randomUUID().slice(0, 8)}`;
  try {
    Deno.writeFileSync(probe, new Uint8Array(1));
    Deno.removeSync(probe);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** SQLite's words for a file system that takes no more writes (SQLITE_FULL, SQLITE_READONLY, SQLITE_IOERR, …). */
const CANNOT_WRITE = /full|read-?only|disk I\/O|unable to open|cannot open|permission denied|access/i;

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

  private constructor(db: DatabaseSync, readonly file: string) {
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
      return SqliteStateStore.#openFile(file);
    } catch (error) {
      // A file system that takes no writes would fail a new file too, and the old one may be fine: keep it.
      if (CANNOT_WRITE.test(String(error))) throw new StateStoreWriteError(file, error);
      warn(`the local state file ${file} cannot be read (${error}): deleting it, the changelog restores it`);
      try {
        for (const suffix of ["", "-wal", "-shm"]) {
          try {
            Deno.removeSync(file + suffix);
          } catch (removal) {
            if (!(removal instanceof Deno.errors.NotFound)) throw removal;
          }
        }
        return SqliteStateStore.#openFile(file);
      } catch (again) {
        throw new StateStoreWriteError(file, again);
      }
    }
  }

  static #openFile(file: string): SqliteStateStore {
    const db = new DatabaseSync(file);
    try {
      return new SqliteStateStore(db, file);
    } catch (error) {
      db.close();
      throw error;
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
    const size = this.#size;
    try {
      this.#db.exec("BEGIN");
    } catch (error) {
      throw new StateStoreWriteError(this.file, error);
    }
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
      this.#size = size;
      try {
        this.#db.exec("ROLLBACK");
      } catch {
        // SQLite rolled it back itself (SQLITE_FULL, SQLITE_IOERR): nothing of it was kept.
      }
      throw CANNOT_WRITE.test(String(error)) ? new StateStoreWriteError(this.file, error) : error;
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
    // One transaction: a checkpoint must never outlive records it covers.
    try {
      this.#db.exec("BEGIN; DELETE FROM records; DELETE FROM meta WHERE name LIKE 'checkpoint%'; COMMIT");
    } catch (error) {
      try {
        this.#db.exec("ROLLBACK");
      } catch {
        // rolled back already
      }
      throw new StateStoreWriteError(this.file, error);
    }
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
