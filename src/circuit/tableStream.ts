/** The garbled-table byte stream: bounded chunks from garbler to evaluator, with back-pressure and truncation checks. */
import { IntegrityError } from "../share/errors.js";

/** Where the garbler writes; a returned promise is awaited before more is written (back-pressure). */
export interface ByteSink {
  write(chunk: Uint8Array): void | Promise<void>;
  /**
   * A buffer of `bytes` bytes the sink has finished with, for the writer to fill again, if it has one. A sink
   * that offers spares takes the whole buffer of every chunk it is given: the writer starts a new one after each.
   */
  spareChunk?(bytes: number): Uint8Array | undefined;
  /** Called once after the last chunk. */
  end?(): void | Promise<void>;
}

/** Where the evaluator reads: the next chunk of any size, or `null` at the end of the stream. */
export interface ByteSource {
  read(): Promise<Uint8Array | null>;
}

/** The stream ended before the evaluator had read every table the circuit needs. */
export class TruncatedTableStreamError extends IntegrityError {
  constructor(needed: number, got: number) {
    super(`garbled-table stream ended early: needed ${needed} more bytes, got ${got}`, {}, "truncated-table-stream");
  }
}

/** The stream carried more bytes than the circuit consumed: garbler and evaluator ran different programs. */
export class TrailingTableBytesError extends IntegrityError {
  constructor() {
    super("garbled-table stream has bytes left after the circuit ended: the two parties ran different circuits", {}, "trailing-table-bytes");
  }
}

/** Tables were left unread where the garbler had flushed to wait for the evaluator: the two ran different circuits. */
export class UnalignedTableStreamError extends IntegrityError {
  constructor() {
    super("garbled-table stream holds tables past the point where the garbler waited for the evaluator: the two parties ran different circuits", {}, "unaligned-table-stream");
  }
}

export const DEFAULT_CHUNK_BYTES = 1 << 20;

/** Where the writer stands once a recycling sink has its buffer: the next reserve takes another. */
const EMPTY_CHUNK = new Uint8Array(0);

/** Hands out regions of a chunk for the garbler to fill in place, and passes full chunks to the sink. */
export class TableWriter {
  private current: Uint8Array;
  /** Bytes of `current` handed to the sink already ([0, start)) and reserved since ([start, used)). */
  private start = 0;
  private used = 0;
  private readonly sealed: Uint8Array[] = [];
  private written = 0;

  constructor(private readonly sink: ByteSink, private readonly chunkBytes = DEFAULT_CHUNK_BYTES) {
    this.current = new Uint8Array(chunkBytes);
  }

  /** Bytes reserved so far (the stream length once finished). */
  get bytesProduced(): number {
    return this.written + this.sealed.reduce((sum, chunk) => sum + chunk.length, 0) + this.used - this.start;
  }

  get hasFullChunks(): boolean {
    return this.sealed.length > 0;
  }

  /** `byteCount` bytes of the stream, to be filled before the next call to `flush`. */
  reserve(byteCount: number): Uint8Array {
    if (this.used + byteCount > this.current.length) {
      this.seal();
      // Each chunk is a buffer of its own, because the sink may keep (or transfer) it: a spare it gave back, or a new one.
      const size = Math.max(this.chunkBytes, byteCount);
      this.current = this.sink.spareChunk?.(size) ?? new Uint8Array(size);
      this.start = this.used = 0;
    }
    const region = this.current.subarray(this.used, this.used + byteCount);
    this.used += byteCount;
    return region;
  }

  /**
   * Hands every byte reserved so far to the sink, the partial chunk too, without ending the stream: before the
   * garbler waits on the evaluator, which cannot get there without these tables. The rest of the chunk's buffer
   * is used on (a shuffle sort flushes every round, and a fresh megabyte each time cost more than its tables).
   */
  async flushAll(): Promise<void> {
    this.seal();
    await this.flush();
  }

  private seal(): void {
    if (this.used > this.start) {
      this.sealed.push(this.current.subarray(this.start, this.used));
      // A sink that recycles takes the whole buffer with the chunk: the next bytes go into another.
      if (this.sink.spareChunk) this.current = EMPTY_CHUNK;
    }
    this.start = this.used;
  }

  /** Writes every full chunk to the sink; with `final`, also the partial one and ends the sink. */
  async flush(final = false): Promise<void> {
    if (final) this.seal();
    while (this.sealed.length > 0) {
      const chunk = this.sealed.shift()!;
      this.written += chunk.length;
      const pending = this.sink.write(chunk);
      if (pending) await pending;
    }
    if (final) {
      const ended = this.sink.end?.();
      if (ended) await ended;
    }
  }
}

/** Takes exact byte counts from a source, as views into its chunks when they fit and as copies when they straddle. */
export class TableReader {
  private chunk: Uint8Array = new Uint8Array(0);
  private position = 0;
  private consumed = 0;
  private ended = false;

  constructor(private readonly source: ByteSource) {}

  get bytesConsumed(): number {
    return this.consumed;
  }

  /** Takes so far, chained: each starts once the one before it has its bytes. */
  private queue: Promise<unknown> = Promise.resolve();

  /**
   * The next `byteCount` bytes. Calls may overlap (a reveal's decoding bits while the next comparisons are
   * evaluated): they are served in call order, each once the previous has its bytes.
   */
  take(byteCount: number): Promise<Uint8Array> {
    const available = this.chunk.length - this.position;
    // The common case, with nothing queued: a view into the current chunk, without waiting a turn.
    if (available >= byteCount && this.idle) {
      const view = this.chunk.subarray(this.position, this.position + byteCount);
      this.position += byteCount;
      this.consumed += byteCount;
      return Promise.resolve(view);
    }
    this.idle = false;
    const taken = this.queue.then(() => this.takeInOrder(byteCount));
    const settled = taken.then(() => undefined, () => undefined);
    this.queue = settled;
    void settled.then(() => { if (this.queue === settled) this.idle = true; });
    return taken;
  }

  private idle = true;

  private async takeInOrder(byteCount: number): Promise<Uint8Array> {
    const available = this.chunk.length - this.position;
    if (available >= byteCount) {
      const view = this.chunk.subarray(this.position, this.position + byteCount);
      this.position += byteCount;
      this.consumed += byteCount;
      return view;
    }
    const result = new Uint8Array(byteCount);
    let filled = 0;
    while (filled < byteCount) {
      if (this.position === this.chunk.length) {
        const next = this.ended ? null : await this.source.read();
        if (next === null) {
          this.ended = true;
          throw new TruncatedTableStreamError(byteCount - filled, filled);
        }
        this.chunk = next;
        this.position = 0;
        continue;
      }
      const step = Math.min(byteCount - filled, this.chunk.length - this.position);
      result.set(this.chunk.subarray(this.position, this.position + step), filled);
      this.position += step;
      filled += step;
    }
    this.consumed += byteCount;
    return result;
  }

  /** Whether every byte received so far has been taken (true where the garbler flushed with flushAll). */
  get atChunkEnd(): boolean {
    return this.position === this.chunk.length;
  }

  /** Checks that the stream holds nothing more. */
  async expectEnd(): Promise<void> {
    while (true) {
      if (this.position < this.chunk.length) throw new TrailingTableBytesError();
      if (this.ended) return;
      const next = await this.source.read();
      if (next === null) { this.ended = true; return; }
      this.chunk = next;
      this.position = 0;
    }
  }
}

/** An in-process pipe (for tests and single-process runs): at most `maxQueuedChunks` chunks in flight. */
export function createMemoryPipe(maxQueuedChunks = 8): { sink: ByteSink & { totalBytes: number }; source: ByteSource } {
  const queue: Uint8Array[] = [];
  let ended = false;
  let wakeReader: (() => void) | undefined;
  let wakeWriter: (() => void) | undefined;
  const sink = {
    totalBytes: 0,
    write(chunk: Uint8Array): void | Promise<void> {
      if (ended) throw new Error("write after end of the table stream");
      queue.push(chunk);
      sink.totalBytes += chunk.length;
      wakeReader?.();
      if (queue.length < maxQueuedChunks) return;
      return new Promise<void>((resolve) => { wakeWriter = resolve; });
    },
    end(): void {
      ended = true;
      wakeReader?.();
    },
  };
  const source: ByteSource = {
    async read(): Promise<Uint8Array | null> {
      while (queue.length === 0 && !ended) await new Promise<void>((resolve) => { wakeReader = resolve; });
      wakeReader = undefined;
      const chunk = queue.shift();
      if (queue.length < maxQueuedChunks && wakeWriter) { const wake = wakeWriter; wakeWriter = undefined; wake(); }
      return chunk ?? null;
    },
  };
  return { sink, source };
}
