// Streaming reader for personalization batch files (JSON Lines or CSV) sent by other agencies.
//
// The files come from outside, can hold millions of records and can be garbage, so the reader
// works on bytes with bounded memory, never throws on content, and turns every bad record into
// its own 'error' event while the good records around it still come through. The importer
// validates record fields with its schema; this module only cares about framing and encoding.
//
// Layering: a LineSplitter cuts the byte stream into physical lines (LF, CRLF or a lone CR end a
// line) and enforces the record size limit; a JsonlParser or CsvParser turns lines into events.
import { createReadStream } from 'node:fs';
import { extname } from 'node:path';

export type RecordFormat = 'jsonl' | 'csv';

export type ReaderEvent =
  /** CSV only: the first non-empty record, with trimmed column names. */
  | { kind: 'header'; line: number; columns: string[] }
  /** `line` is the 1-based physical line where the record starts. */
  | { kind: 'record'; line: number; fields: Record<string, unknown> }
  /** One bad record (or a bad header); reading continues after it. */
  | { kind: 'error'; line: number; message: string };

export interface ReadOptions {
  /** Longest accepted record in bytes, line terminators inside a CSV quoted field included. */
  maxRecordBytes?: number;
}

const DEFAULT_MAX_RECORD_BYTES = 64 * 1024;
// Large reads keep syscalls and per-chunk overhead negligible next to parsing.
const FILE_READ_BYTES = 1024 * 1024;
// A caller may hand in one giant buffer; parsing it in slices keeps the batch of pending
// events (and so memory) bounded however the input is chunked.
const SLICE_BYTES = 64 * 1024;

const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const COMMA = 0x2c;
const SPACE = 0x20;
const TAB = 0x09;

// How a physical line ended. CSV needs the exact bytes back when a quoted field spans lines.
const TERM_EOF = 0;
const TERM_LF = 1;
const TERM_CRLF = 2;
const TERM_CR = 3;
type Terminator = typeof TERM_EOF | typeof TERM_LF | typeof TERM_CRLF | typeof TERM_CR;
const TERM_BYTES: readonly Uint8Array[] = [
  new Uint8Array(0),
  Uint8Array.of(LF),
  Uint8Array.of(CR, LF),
  Uint8Array.of(CR),
];

// fatal: invalid UTF-8 must become an error for that record, never U+FFFD in a citizen's name.
// ignoreBOM: the file's BOM is stripped from the bytes; a U+FEFF inside the data is kept as data.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Picks the parser for a batch file: by extension when it is one we know, otherwise by sniffing
 * the first bytes (a JSON Lines file starts with '{'; anything else is treated as CSV).
 */
export function detectFormat(filePath: string, firstBytes: Uint8Array): RecordFormat {
  const ext = extname(filePath).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.jsonl' || ext === '.ndjson' || ext === '.json') return 'jsonl';
  let i = hasBom(firstBytes) ? 3 : 0;
  while (i < firstBytes.length && isJsonWhitespace(firstBytes[i])) i++;
  return firstBytes[i] === 0x7b ? 'jsonl' : 'csv';
}

/**
 * Reads records from a byte stream. Never throws because of the content; throws only on misuse
 * (bad options or format, string chunks) or when the input iterable itself fails.
 */
export function readRecords(
  input: AsyncIterable<Buffer | Uint8Array>,
  format: RecordFormat,
  opts: ReadOptions = {},
): AsyncGenerator<ReaderEvent> {
  if (format !== 'csv' && format !== 'jsonl') {
    throw new TypeError(`readRecords: unknown format ${JSON.stringify(format)}; use 'jsonl' or 'csv'`);
  }
  return events(input, () => format, checkMaxRecordBytes(opts.maxRecordBytes));
}

/** Reads a batch file from disk; detects the format from the name or first bytes when not given. */
export function readRecordFile(path: string, format?: RecordFormat, opts: ReadOptions = {}): AsyncGenerator<ReaderEvent> {
  const max = checkMaxRecordBytes(opts.maxRecordBytes);
  const pick = format === undefined ? (first: Buffer) => detectFormat(path, first) : () => format;
  return events(fileChunks(path), pick, max);
}

async function* fileChunks(path: string): AsyncGenerator<Buffer> {
  const stream = createReadStream(path, { highWaterMark: FILE_READ_BYTES });
  try {
    for await (const chunk of stream) yield chunk as Buffer;
  } finally {
    // Also runs when the consumer stops early, so the file descriptor is never leaked.
    stream.destroy();
  }
}

// One async generator between the bytes and the consumer: every extra layer (e.g. a yield*
// wrapper) costs a promise round-trip per record, which is measurable at millions of records.
async function* events(
  input: AsyncIterable<Buffer | Uint8Array>,
  pickFormat: (firstChunk: Buffer) => RecordFormat,
  max: number,
): AsyncGenerator<ReaderEvent> {
  const out: ReaderEvent[] = [];
  let splitter: LineSplitter | null = null;
  for await (const chunk of input) {
    const bytes = asBuffer(chunk);
    if (bytes.length === 0) continue;
    splitter ??= new LineSplitter(max, makeParser(pickFormat(bytes), out, max));
    for (let off = 0; off < bytes.length; off += SLICE_BYTES) {
      splitter.push(bytes.subarray(off, off + SLICE_BYTES));
      for (const ev of out) yield ev;
      out.length = 0;
    }
  }
  splitter ??= new LineSplitter(max, makeParser(pickFormat(Buffer.alloc(0)), out, max));
  splitter.end();
  for (const ev of out) yield ev;
  out.length = 0;
}

function makeParser(format: RecordFormat, out: ReaderEvent[], max: number): LineSink {
  return format === 'csv' ? new CsvParser(out, max) : new JsonlParser(out, max);
}

function checkMaxRecordBytes(value: number | undefined): number {
  if (value === undefined) return DEFAULT_MAX_RECORD_BYTES;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`readRecords: maxRecordBytes must be a positive integer, got ${String(value)}`);
  }
  return value;
}

function asBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw new TypeError(
    `readRecords: expected Buffer/Uint8Array chunks, got ${typeof chunk}; do not set an encoding on the input stream`,
  );
}

// ---------------------------------------------------------------------------------------------
// Physical lines

interface LineSink {
  /** `bytes` excludes the terminator and is only valid during the call: copy it to keep it. */
  line(lineNo: number, bytes: Buffer, term: Terminator): void;
  /** The line is longer than the limit; its bytes are being discarded unseen. */
  overlong(lineNo: number): void;
  end(): void;
}

/**
 * Cuts a chunked byte stream into physical lines. Lines inside a chunk are handed over as
 * zero-copy views; only a line that straddles chunks is copied, and never more than the limit:
 * past it the rest of the line is skipped without being stored, so a 1 GB line without a newline
 * costs no memory. Copies (rather than views) of carried bytes also make it safe for a source to
 * reuse its buffer for the next chunk.
 */
class LineSplitter {
  private lineNo = 1;
  /** Start of a line that straddles chunks: a copy, grown on demand, never beyond the limit. */
  private carry: Buffer = Buffer.alloc(0);
  private carryLen = 0;
  /** Discarding the rest of an overlong line. */
  private skipping = false;
  /** The previous chunk ended with CR: an LF starting the next chunk belongs to it. */
  private crPending = false;
  /** The line ended by that CR, held until we know whether its terminator is CR or CRLF. */
  private held: Buffer | null = null;
  /** First bytes seen while deciding whether the stream starts with a BOM; null once decided. */
  private bomHead: Buffer | null = Buffer.alloc(0);

  constructor(
    private readonly max: number,
    private readonly sink: LineSink,
  ) {}

  push(chunk: Buffer): void {
    if (this.bomHead !== null) {
      // The BOM may arrive split over several tiny chunks.
      const take = Math.min(3 - this.bomHead.length, chunk.length);
      const head = Buffer.concat([this.bomHead, chunk.subarray(0, take)]);
      const rest = chunk.subarray(take);
      if (!isBomPrefix(head)) {
        this.bomHead = null;
        this.scan(head);
        this.scan(rest);
      } else if (head.length === 3) {
        this.bomHead = null;
        this.scan(rest);
      } else {
        this.bomHead = head;
      }
      return;
    }
    this.scan(chunk);
  }

  end(): void {
    if (this.bomHead !== null) {
      const head = this.bomHead;
      this.bomHead = null;
      this.scan(head); // a partial BOM is data
    }
    if (this.crPending) {
      this.crPending = false;
      if (this.held !== null) this.sink.line(this.lineNo, this.held, TERM_CR);
      this.held = null;
      this.lineNo++;
    } else if (this.skipping) {
      this.skipping = false;
    } else if (this.carryLen > 0) {
      const last = this.takeCarry();
      this.sink.line(this.lineNo, last, TERM_EOF);
    }
    this.sink.end();
  }

  private scan(b: Buffer): void {
    const n = b.length;
    if (n === 0) return;
    let pos = 0;
    if (this.crPending) {
      this.crPending = false;
      let term: Terminator = TERM_CR;
      if (b[0] === LF) {
        term = TERM_CRLF;
        pos = 1;
      }
      if (this.held !== null) this.sink.line(this.lineNo, this.held, term);
      this.held = null;
      this.lineNo++;
    }
    // Next LF / CR at or after pos; -1 = none left in this chunk (then never searched again).
    let nextLF = -2;
    let nextCR = -2;
    while (pos < n) {
      if (nextLF !== -1 && nextLF < pos) nextLF = b.indexOf(LF, pos);
      if (nextCR !== -1 && nextCR < pos) nextCR = b.indexOf(CR, pos);
      const e = nextLF === -1 ? nextCR : nextCR === -1 ? nextLF : Math.min(nextLF, nextCR);
      if (e === -1) {
        this.carryRest(b.subarray(pos));
        return;
      }
      let term: Terminator;
      let next: number;
      if (b[e] === LF) {
        term = TERM_LF;
        next = e + 1;
      } else if (e + 1 === n) {
        term = TERM_CR; // provisional: the next chunk may start with the LF of a CRLF
        next = n;
      } else if (b[e + 1] === LF) {
        term = TERM_CRLF;
        next = e + 2;
      } else {
        term = TERM_CR;
        next = e + 1;
      }
      const crAtChunkEnd = b[e] === CR && e + 1 === n;

      if (this.skipping) {
        this.skipping = false;
      } else if (this.carryLen + (e - pos) > this.max) {
        this.carryLen = 0;
        this.sink.overlong(this.lineNo);
      } else {
        const content = this.carryLen > 0 ? this.takeCarry(b.subarray(pos, e)) : b.subarray(pos, e);
        if (crAtChunkEnd) {
          this.held = Buffer.from(content); // outlives this chunk and the carry buffer: own copy
        } else {
          this.sink.line(this.lineNo, content, term);
        }
      }
      if (crAtChunkEnd) {
        this.crPending = true;
        return;
      }
      this.lineNo++;
      pos = next;
    }
  }

  /** Keeps the unterminated tail of a chunk, or starts skipping once the line passes the limit. */
  private carryRest(tail: Buffer): void {
    if (this.skipping || tail.length === 0) return;
    if (this.carryLen + tail.length > this.max) {
      this.carryLen = 0;
      this.skipping = true;
      this.sink.overlong(this.lineNo);
      return;
    }
    this.appendCarry(tail);
  }

  /** Copies (the source may reuse a chunk's memory once we ask for the next one). */
  private appendCarry(bytes: Uint8Array): void {
    const need = this.carryLen + bytes.length; // callers keep this <= max
    if (need > this.carry.length) {
      const grown = Buffer.allocUnsafe(Math.min(this.max, Math.max(need, 2 * this.carry.length, 256)));
      this.carry.copy(grown, 0, 0, this.carryLen);
      this.carry = grown;
    }
    this.carry.set(bytes, this.carryLen);
    this.carryLen = need;
  }

  /** The carried line (plus `last`), as a view that is only valid until the next append. */
  private takeCarry(last?: Uint8Array): Buffer {
    if (last !== undefined) this.appendCarry(last);
    const line = this.carry.subarray(0, this.carryLen);
    this.carryLen = 0;
    return line;
  }
}

// ---------------------------------------------------------------------------------------------
// JSON Lines

class JsonlParser implements LineSink {
  constructor(
    private readonly out: ReaderEvent[],
    private readonly max: number,
  ) {}

  line(lineNo: number, bytes: Buffer): void {
    if (isBlank(bytes)) return;
    let text: string;
    try {
      text = utf8.decode(bytes);
    } catch {
      this.error(lineNo, invalidUtf8Message(bytes, lineNo));
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      this.error(lineNo, `not valid JSON: ${describeJsonError(e instanceof Error ? e.message : String(e))}`);
      return;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.error(lineNo, `expected a JSON object ({...}) per line, got ${describeJson(value)}`);
      return;
    }
    this.out.push({ kind: 'record', line: lineNo, fields: value as Record<string, unknown> });
  }

  overlong(lineNo: number): void {
    this.error(lineNo, overlongMessage(this.max));
  }

  end(): void {}

  private error(line: number, message: string): void {
    this.out.push({ kind: 'error', line, message });
  }
}

function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

// V8 quotes the offending input in its message; keep a garbage line from flooding the report.
/**
 * V8 quotes the start of the line in some JSON.parse messages (`Unexpected token 'N', "{"fullName":
 * Nguyễn…" is not valid JSON`). The message goes into the quarantine report, which must not carry
 * personal data, so the quoted text is dropped; the position-based messages are kept.
 */
export function describeJsonError(message: string): string {
  if (message.startsWith('Unexpected token')) return 'unexpected character (a text value without its quotes?)';
  return clip(message.replace(/,? ".*$/su, ''));
}

function clip(message: string): string {
  return message.length <= 200 ? message : `${message.slice(0, 200)}…`;
}

// ---------------------------------------------------------------------------------------------
// CSV (RFC 4180)

// A line the CSV parser has to look at again after a resync; bytes null = overlong line.
interface QueuedLine {
  line: number;
  bytes: Buffer | null;
  term: Terminator;
}

// Result of scanning one physical line; a value >= 0 is the byte offset of a syntax error
// (the byte there tells which: a quote = stray quote in an unquoted field, anything else =
// junk after a closing quote).
const CSV_COMPLETE = -1;
const CSV_OPEN = -2;

/**
 * CSV records are one or more physical lines (a quoted field may contain line breaks).
 *
 * Resync rule: when a record turns out bad — a syntax error, invalid UTF-8, wrong field count,
 * or a quoted field still open after maxRecordBytes or at the end of the file — it costs one
 * error event and reading resumes at the physical line after the record's FIRST line. A stray
 * quote therefore swallows at most maxRecordBytes of following lines, and those lines are
 * re-read as records of their own instead of being lost (a one-line bad record simply ends at
 * its line end). The cost stays linear: the lines strictly inside a bad record each hold an even
 * number of quotes (that is why the record ran on), so on re-reading none of them can open
 * another multi-line record; only the line where the bad record failed can. Every resync
 * advances at least one line, so garbage cannot make the reader loop.
 *
 * Anything else (an unreadable header aside) is the importer's business: duplicate or empty
 * header names are reported but records still come through, keyed by name.
 */
class CsvParser implements LineSink {
  private columns: string[] | null = null;
  private headerLine = 0;
  /** Line of the first record when it could not be read: no record can be mapped to columns. */
  private headerBrokenAt = 0;
  /** Column names are looked up once per file, not once per record. */
  private hasProtoColumn = false;

  /** Lines of a record whose quoted field is still open (copies), and their byte total. */
  private pending: QueuedLine[] = [];
  private pendingBytes = 0;

  /** Lines to re-read after a resync, consumed from qHead. */
  private queue: QueuedLine[] = [];
  private qHead = 0;
  private draining = false;

  constructor(
    private readonly out: ReaderEvent[],
    private readonly max: number,
  ) {}

  line(lineNo: number, bytes: Buffer, term: Terminator): void {
    this.handle(lineNo, bytes, term);
    this.drain();
  }

  overlong(lineNo: number): void {
    this.handle(lineNo, null, TERM_EOF);
    this.drain();
  }

  end(): void {
    while (this.pending.length > 0) {
      const first = this.pending[0]!;
      this.resync(first.line, `unterminated quoted field starting at line ${first.line}: the file ends inside it`, null);
      this.drain();
    }
  }

  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    while (this.qHead < this.queue.length) {
      const next = this.queue[this.qHead++]!;
      this.handle(next.line, next.bytes, next.term);
    }
    this.queue = [];
    this.qHead = 0;
    this.draining = false;
  }

  private handle(lineNo: number, bytes: Buffer | null, term: Terminator): void {
    if (this.pending.length > 0) {
      this.continueRecord(lineNo, bytes, term);
      return;
    }
    if (bytes === null) {
      this.fail(lineNo, overlongMessage(this.max));
      return;
    }
    if (isBlank(bytes)) return;
    if (bytes.indexOf(QUOTE) === -1) {
      this.finish(lineNo, bytes, false);
      return;
    }
    const r = scanCsvLine(bytes, false);
    if (r === CSV_COMPLETE) {
      this.finish(lineNo, bytes, true);
    } else if (r === CSV_OPEN) {
      this.pending = [{ line: lineNo, bytes: Buffer.from(bytes), term }];
      this.pendingBytes = bytes.length + TERM_BYTES[term]!.length;
      if (this.pendingBytes > this.max) {
        this.resync(lineNo, `unterminated quoted field starting at line ${lineNo}: no closing quote within ${formatBytes(this.max)}`, null);
      }
    } else {
      this.fail(lineNo, syntaxMessage(bytes, r, lineNo, this.fieldLabel));
    }
  }

  private continueRecord(lineNo: number, bytes: Buffer | null, term: Terminator): void {
    const start = this.pending[0]!.line;
    const current: QueuedLine = { line: lineNo, bytes, term };
    if (bytes === null) {
      this.resync(start, `unterminated quoted field starting at line ${start}: no closing quote within ${formatBytes(this.max)}`, current);
      return;
    }
    const r = scanCsvLine(bytes, true);
    const total = this.pendingBytes + bytes.length;
    if (r >= 0) {
      const record = this.joinPending(bytes);
      this.resync(start, syntaxMessage(record, record.length - bytes.length + r, start, this.fieldLabel), current);
    } else if (total + (r === CSV_OPEN ? TERM_BYTES[term]!.length : 0) > this.max) {
      const message =
        r === CSV_COMPLETE
          ? `record starting at line ${start} is longer than ${formatBytes(this.max)} (it ends on line ${lineNo})`
          : `unterminated quoted field starting at line ${start}: no closing quote within ${formatBytes(this.max)}`;
      this.resync(start, message, current);
    } else if (r === CSV_COMPLETE) {
      // finish() resyncs through failRecord if the record is bad, which needs `pending` intact.
      this.finish(start, this.joinPending(bytes), true, current);
      this.pending = [];
      this.pendingBytes = 0;
    } else {
      this.pending.push({ line: lineNo, bytes: Buffer.from(bytes), term });
      this.pendingBytes = total + TERM_BYTES[term]!.length;
    }
  }

  private joinPending(last: Buffer): Buffer {
    const parts: Uint8Array[] = [];
    for (const p of this.pending) parts.push(p.bytes!, TERM_BYTES[p.term]!);
    parts.push(last);
    return Buffer.concat(parts);
  }

  /**
   * Reports the pending record as bad and re-reads everything after its first line.
   * `current` is the line being handled when the record failed (not yet in `pending`).
   */
  private resync(start: number, message: string, current: QueuedLine | null): void {
    const replay = this.pending.slice(1);
    if (current !== null) replay.push(current);
    this.pending = [];
    this.pendingBytes = 0;
    this.fail(start, message);
    this.queue = replay.concat(this.queue.slice(this.qHead));
    this.qHead = 0;
  }

  /**
   * Turns the bytes of a syntactically valid record into an event. `continuation` is set for a
   * multi-line record: if it is bad, the lines after its first one are re-read.
   */
  private finish(lineNo: number, bytes: Buffer, hasQuote: boolean, continuation?: QueuedLine): void {
    let text: string;
    try {
      text = utf8.decode(bytes);
    } catch {
      this.failRecord(lineNo, invalidUtf8Message(bytes, lineNo, this.fieldLabel), continuation);
      return;
    }
    const values = hasQuote ? splitQuoted(text) : text.split(',');

    if (this.columns === null && this.headerBrokenAt === 0) {
      this.setHeader(lineNo, values);
      return;
    }
    const columns = this.columns;
    if (columns === null) {
      this.failRecord(
        lineNo,
        `record skipped: the CSV header on line ${this.headerBrokenAt} could not be read; fix the header and import the file again`,
        continuation,
      );
      return;
    }
    if (values.length !== columns.length) {
      this.failRecord(
        lineNo,
        `${values.length} ${values.length === 1 ? 'field' : 'fields'}, the header (line ${this.headerLine}) has ${columns.length}; check for a missing or extra comma, or quote values that contain commas`,
        continuation,
      );
      return;
    }
    const fields: Record<string, unknown> = {};
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      // An empty unquoted field means "not given", so optional fields can be left empty; an
      // empty quoted field ("") is an explicit empty string.
      if (v === undefined || (v === '' && !hasQuote)) continue;
      const key = columns[i]!;
      if (this.hasProtoColumn && key === '__proto__') {
        Object.defineProperty(fields, key, { value: v, enumerable: true, writable: true, configurable: true });
      } else {
        fields[key] = v;
      }
    }
    this.out.push({ kind: 'record', line: lineNo, fields });
  }

  private setHeader(lineNo: number, values: (string | undefined)[]): void {
    const columns = values.map((v) => (v ?? '').trim());
    this.columns = columns;
    this.headerLine = lineNo;
    this.hasProtoColumn = columns.includes('__proto__');
    this.out.push({ kind: 'header', line: lineNo, columns });

    // Reported, not fatal: the importer decides. Records still map by name (for a duplicate
    // name the later column wins, as JSON.parse does with duplicate keys).
    const problems: string[] = [];
    const seen = new Map<string, number[]>();
    columns.forEach((name, i) => {
      if (name === '') problems.push(`column ${i + 1} has no name`);
      else seen.set(name, [...(seen.get(name) ?? []), i + 1]);
    });
    for (const [name, at] of seen) {
      if (at.length > 1) problems.push(`column name ${JSON.stringify(name)} is used by columns ${at.join(', ')}`);
    }
    if (problems.length > 0) {
      this.out.push({
        kind: 'error',
        line: lineNo,
        message: `CSV header: ${problems.join('; ')}; every column needs a unique name`,
      });
    }
  }

  /** A bad record: a multi-line one resyncs (see the class comment), a one-line one just fails. */
  private failRecord(lineNo: number, message: string, continuation: QueuedLine | undefined): void {
    if (continuation === undefined) this.fail(lineNo, message);
    else this.resync(lineNo, message, continuation);
  }

  private fieldLabel = (field: number): string => {
    if (this.columns !== null) {
      const name = this.columns[field - 1];
      return name === undefined ? `field ${field}` : `field ${field} (${JSON.stringify(name)})`;
    }
    return this.headerBrokenAt > 0 ? `field ${field}` : `column ${field} of the header`;
  };

  /** One error event; an error before any header means there is no header. */
  private fail(lineNo: number, message: string): void {
    if (this.columns === null && this.headerBrokenAt === 0) {
      this.headerBrokenAt = lineNo;
      message = `CSV header: ${message}`;
    }
    this.out.push({ kind: 'error', line: lineNo, message });
  }
}

/**
 * Checks one physical line of a CSV record. `inQuotes` says whether the line starts inside a
 * quoted field (a continuation line). Returns CSV_COMPLETE when the record ends with this line,
 * CSV_OPEN when a quoted field is still open at its end, or the offset of a syntax error.
 * Jumps from quote to quote with indexOf: unquoted stretches are never walked byte by byte.
 */
function scanCsvLine(b: Buffer, inQuotes: boolean): number {
  const n = b.length;
  let pos = 0;
  let quoted = inQuotes;
  for (;;) {
    if (!quoted) {
      // pos is at the start of a field.
      if (b[pos] === QUOTE) {
        pos++;
      } else {
        const q = b.indexOf(QUOTE, pos);
        if (q === -1) return CSV_COMPLETE;
        // Every comma between pos and q separates fields, so a quote may only follow one.
        if (b[q - 1] !== COMMA) return q;
        pos = q + 1;
      }
      quoted = true;
    }
    const q = b.indexOf(QUOTE, pos);
    if (q === -1) return CSV_OPEN;
    if (b[q + 1] === QUOTE) {
      pos = q + 2; // "" is an escaped quote
      continue;
    }
    pos = q + 1;
    if (pos === n) return CSV_COMPLETE;
    if (b[pos] !== COMMA) return pos;
    pos++;
    quoted = false;
  }
}

/**
 * Splits a syntactically checked record that contains quotes. An empty unquoted field is
 * undefined, an empty quoted field is ''.
 */
function splitQuoted(s: string): (string | undefined)[] {
  const values: (string | undefined)[] = [];
  const n = s.length;
  let i = 0;
  for (;;) {
    if (s.charCodeAt(i) === QUOTE) {
      let value = '';
      let from = i + 1;
      for (;;) {
        const q = s.indexOf('"', from);
        if (s.charCodeAt(q + 1) === QUOTE) {
          value += s.slice(from, q + 1);
          from = q + 2;
        } else {
          value += s.slice(from, q);
          i = q + 1;
          break;
        }
      }
      values.push(value);
    } else {
      const c = s.indexOf(',', i);
      const end = c === -1 ? n : c;
      values.push(end > i ? s.slice(i, end) : undefined);
      i = end;
    }
    if (i >= n) return values;
    i++; // the comma; a trailing comma leaves one more (empty) field
  }
}

// ---------------------------------------------------------------------------------------------
// Messages

function overlongMessage(max: number): string {
  return `line is longer than ${formatBytes(max)}; the rest of the line was skipped (a record must fit in ${formatBytes(max)}; is a line break missing?)`;
}

function formatBytes(n: number): string {
  if (n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`;
  if (n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} bytes`;
}

/** Where a byte offset of a (possibly multi-line) record lies: physical line and offset in it. */
function locate(record: Uint8Array, startLine: number, offset: number): { line: number; column: number } {
  let line = startLine;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    const c = record[i];
    if (c === LF || (c === CR && record[i + 1] !== LF)) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart };
}

/** 1-based CSV field number that contains `offset` (quotes toggle; commas outside quotes split). */
function fieldAt(record: Uint8Array, offset: number): number {
  let field = 1;
  let quoted = false;
  for (let i = 0; i < offset; i++) {
    const c = record[i];
    if (c === QUOTE) quoted = !quoted;
    else if (c === COMMA && !quoted) field++;
  }
  return field;
}

function syntaxMessage(record: Buffer, offset: number, startLine: number, label: (field: number) => string): string {
  const at = locate(record, startLine, offset);
  const where = `${label(fieldAt(record, offset))} on line ${at.line} at byte offset ${at.column}`;
  if (record[offset] === QUOTE) {
    return `stray quote inside unquoted ${where}; a value containing quotes must be enclosed in quotes, with each quote doubled ("")`;
  }
  return `unexpected ${describeByte(record[offset])} after the closing quote of ${where}; a closing quote must be followed by a comma or the end of the line`;
}

function describeByte(c: number | undefined): string {
  if (c === SPACE) return 'space';
  if (c === TAB) return 'tab';
  if (c !== undefined && c > 0x20 && c < 0x7f) return `'${String.fromCharCode(c)}'`;
  return `byte 0x${(c ?? 0).toString(16).padStart(2, '0')}`;
}

/** `label` names the CSV field holding the bad byte; JSON Lines have no cheap equivalent. */
function invalidUtf8Message(record: Uint8Array, startLine: number, label?: (field: number) => string): string {
  const offset = invalidUtf8Offset(record);
  if (offset === -1) return 'invalid UTF-8; save the file as UTF-8';
  const at = locate(record, startLine, offset);
  const bytes = Array.from(record.subarray(offset, offset + 4), (c) => c.toString(16).padStart(2, '0')).join(' ');
  const field = label === undefined ? '' : `, ${label(fieldAt(record, offset))}`;
  const where = at.line === startLine ? 'of the line' : `of line ${at.line}`;
  return `invalid UTF-8 at byte offset ${at.column} ${where}${field} (next bytes: ${bytes}); save the file as UTF-8 (it may be in a legacy encoding such as Windows-1258 or TCVN3)`;
}

/**
 * Offset of the first byte that starts an ill-formed UTF-8 sequence, or -1. Follows the
 * Unicode "well-formed byte sequences" table the fatal TextDecoder applies: overlong forms,
 * surrogates and code points past U+10FFFF are rejected. Only runs after decoding failed.
 */
function invalidUtf8Offset(b: Uint8Array): number {
  const n = b.length;
  let i = 0;
  while (i < n) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) need = 1;
    else if (c === 0xe0) [need, lo] = [2, 0xa0];
    else if (c === 0xed) [need, hi] = [2, 0x9f];
    else if (c >= 0xe1 && c <= 0xef) need = 2;
    else if (c === 0xf0) [need, lo] = [3, 0x90];
    else if (c >= 0xf1 && c <= 0xf3) need = 3;
    else if (c === 0xf4) [need, hi] = [3, 0x8f];
    else return i;
    for (let k = 1; k <= need; k++) {
      const d = b[i + k];
      if (d === undefined || d < (k === 1 ? lo : 0x80) || d > (k === 1 ? hi : 0xbf)) return i;
    }
    i += need + 1;
  }
  return -1;
}

// ---------------------------------------------------------------------------------------------
// Byte helpers

function isBlank(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) {
    const c = b[i];
    if (c !== SPACE && c !== TAB) return false;
  }
  return true;
}

function isJsonWhitespace(c: number | undefined): boolean {
  return c === SPACE || c === TAB || c === LF || c === CR;
}

function hasBom(b: Uint8Array): boolean {
  return b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf;
}

function isBomPrefix(b: Uint8Array): boolean {
  return (
    (b.length < 1 || b[0] === 0xef) && (b.length < 2 || b[1] === 0xbb) && (b.length < 3 || b[2] === 0xbf)
  );
}
