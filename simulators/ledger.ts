/**
 * The simulator's ledger: the physical truth of a simulated line, one JSON object a line in
 * `<data dir>/sim/ledger.jsonl` — blanks loaded, cards fed, cards entering units, stacked,
 * rejected, purged, the stacker emptied, cards put into delivery packs and packs ejected. Tests read it to check the controller from outside; the
 * simulator replays it on start to restore the magazine, the next serial and the stacker, and to
 * purge what a dead simulator left inside the machine.
 *
 * The lines appended in one turn of the event loop are written together, with one write(2) at the
 * end of that turn (no fsync; one write a line cost as much CPU as the rest of the ledger on a fast
 * line). A crash of the simulator process loses at most the lines of the turn it died in: a host
 * hears of a change by a network message (or a MemoryTransport delivery) sent in a later turn, so it
 * cannot have acted on them, except for an answer to a read served in that same turn. A torn last
 * line is skipped on replay and counted.
 */
import { createHash } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

export type LedgerEvent =
  | { readonly ev: 'start'; readonly line: string; readonly pid: number }
  | { readonly ev: 'loaded'; readonly count: number; readonly lot: string }
  | { readonly ev: 'fed'; readonly card: string; readonly seq: number; readonly lot: string; readonly unit: string }
  | { readonly ev: 'entered'; readonly card: string; readonly unit: string }
  | {
      readonly ev: 'stacked';
      readonly card: string;
      readonly station: string;
      readonly position: number;
      /** chipContentSha256 of the chip as it physically is; null for an empty chip. */
      readonly chipSha256: string | null;
      /** engravedSha256 of the surface; null when nothing was engraved. */
      readonly surfaceSha256: string | null;
      /**
       * SHA-256 (hex) of the 90 MRZ characters of the chip's DG1 (file 0101), or null: the ledger
       * proves which record a card carries without holding a name, PID or birth date (dg1Digest).
       */
      readonly dg1Digest: string | null;
    }
  | { readonly ev: 'rejected'; readonly card: string; readonly unit: string; readonly reason: string; readonly hostReason?: number }
  | { readonly ev: 'purged'; readonly card: string; readonly unit: string; readonly reason: string }
  | { readonly ev: 'stackerEmptied'; readonly station: string; readonly cards: readonly string[] }
  /** Packer: a pack put into a pocket (a new one, or one reopened outside the packer with its cards). */
  | { readonly ev: 'packLoaded'; readonly station: string; readonly packId: string; readonly pocket: number }
  /** Packer: the card went into a pack; it has left the machine, as a stacked card has. */
  | {
      readonly ev: 'packed';
      readonly card: string;
      readonly station: string;
      readonly packId: string;
      readonly office: string;
      readonly pocket: number;
      readonly chipSha256: string | null;
      readonly surfaceSha256: string | null;
      /** SHA-256 hex of the chip's DG1 MRZ (dg1Digest), never the MRZ itself. */
      readonly dg1Digest: string | null;
    }
  /** Packer: a pack left its pocket (closed by its last card, its pocket needed, or unloaded by the operator). */
  | { readonly ev: 'packEjected'; readonly station: string; readonly packId: string; readonly pocket: number; readonly reason: string }
  /** A person took a card out of its pack (an inspector rejected it after packing). */
  | { readonly ev: 'packCardRemoved'; readonly card: string; readonly packId: string; readonly reason: string };

/** A ledger line: the event plus wall-clock time and simulated time. */
export type LedgerEntry = LedgerEvent & { readonly t: string; readonly sim: number };

export interface StackedCard {
  readonly cardSerial: string;
  readonly position: number;
  readonly dg1Digest: string | null;
}

/** The ledger's digest of a DG1 MRZ: SHA-256, hex, over the 90 characters (three lines joined). */
export function dg1Digest(mrz: string | readonly string[]): string {
  const text = typeof mrz === 'string' ? mrz : mrz.join('');
  return createHash('sha256').update(text, 'latin1').digest('hex');
}

/**
 * A `stacked` line as ledgers before the digest wrote it (`dg1Mrz`: the MRZ in clear), turned into
 * the digest form. Other lines come back as they are.
 */
function withoutClearMrz(entry: Record<string, unknown>): Record<string, unknown> {
  if (entry.ev !== 'stacked' || !('dg1Mrz' in entry)) return entry;
  const { dg1Mrz, ...rest } = entry;
  return { ...rest, dg1Digest: typeof dg1Mrz === 'string' ? dg1Digest(dg1Mrz) : null };
}

/** A delivery pack as the packer physically made it. */
export interface LedgerPack {
  readonly packId: string;
  readonly station: string;
  readonly office: string;
  /** Its cards, in the order they went in. */
  readonly cards: StackedCard[];
  /** The pocket it lies in, or null once ejected. */
  readonly pocket: number | null;
}

export interface LedgerSummary {
  /** Cards lying in the output stacker(s) now. */
  readonly stacker: StackedCard[];
  /** Cards in the reject bin, with why they are there. */
  readonly rejectBin: { cardSerial: string; reason: string }[];
  /** Cards fed and not yet out: the unit they last entered. */
  readonly inMachine: { cardSerial: string; station: string }[];
  /** Cards taken out of the stacker by emptying it, in the order they were stacked. */
  readonly unloaded: StackedCard[];
  /** Delivery packs a packer made (in the order they were first loaded), with their cards. */
  readonly packs: LedgerPack[];
  readonly blanksLoaded: number;
  /** Blanks left in the feeder magazine. */
  readonly magazine: number;
  readonly fed: number;
  /** Cards ever stacked (including unloaded ones). */
  readonly stacked: number;
  readonly rejected: number;
  readonly purged: number;
  /** Simulator starts recorded. */
  readonly starts: number;
  /** Lines that did not parse (a torn last line after a crash). */
  readonly badLines: number;
}

/** The replayed state: what the summary shows, plus what a restarting simulator needs. */
export class LedgerState {
  readonly lots: { lot: string; count: number }[] = [];
  /** The highest blank sequence fed so far (0: none). */
  lastSeq = 0;
  readonly stackers = new Map<string, StackedCard[]>();
  readonly rejectBin: { cardSerial: string; reason: string }[] = [];
  readonly inMachine = new Map<string, string>();
  readonly unloaded: StackedCard[] = [];
  readonly packs = new Map<string, { station: string; office: string; cards: StackedCard[]; pocket: number | null }>();
  blanksLoaded = 0;
  fed = 0;
  stacked = 0;
  rejected = 0;
  purged = 0;
  starts = 0;
  badLines = 0;

  get magazine(): number {
    return this.lots.reduce((n, l) => n + l.count, 0);
  }

  apply(e: LedgerEvent): void {
    switch (e.ev) {
      case 'start':
        this.starts += 1;
        break;
      case 'loaded':
        this.blanksLoaded += e.count;
        this.lots.push({ lot: e.lot, count: e.count });
        break;
      case 'fed': {
        this.fed += 1;
        this.lastSeq = Math.max(this.lastSeq, e.seq);
        const lot = this.lots.find((l) => l.lot === e.lot && l.count > 0) ?? this.lots.find((l) => l.count > 0);
        if (lot) lot.count -= 1;
        while (this.lots.length > 0 && this.lots[0]!.count === 0) this.lots.shift();
        this.inMachine.set(e.card, e.unit);
        break;
      }
      case 'entered':
        this.inMachine.set(e.card, e.unit);
        break;
      case 'stacked': {
        this.stacked += 1;
        this.inMachine.delete(e.card);
        const list = this.stackers.get(e.station) ?? [];
        list.push({ cardSerial: e.card, position: e.position, dg1Digest: e.dg1Digest });
        this.stackers.set(e.station, list);
        break;
      }
      case 'rejected':
        this.rejected += 1;
        this.inMachine.delete(e.card);
        this.rejectBin.push({ cardSerial: e.card, reason: e.reason });
        break;
      case 'purged':
        this.purged += 1;
        this.inMachine.delete(e.card);
        this.rejectBin.push({ cardSerial: e.card, reason: e.reason });
        break;
      case 'packLoaded': {
        const pack = this.packs.get(e.packId);
        if (pack) pack.pocket = e.pocket;
        else this.packs.set(e.packId, { station: e.station, office: '', cards: [], pocket: e.pocket });
        break;
      }
      case 'packed': {
        this.inMachine.delete(e.card);
        const pack = this.packs.get(e.packId) ?? { station: e.station, office: e.office, cards: [], pocket: e.pocket };
        pack.office = e.office;
        pack.cards.push({ cardSerial: e.card, position: pack.cards.length + 1, dg1Digest: e.dg1Digest });
        this.packs.set(e.packId, pack);
        break;
      }
      case 'packCardRemoved': {
        const pack = this.packs.get(e.packId);
        if (pack) pack.cards = pack.cards.filter((c) => c.cardSerial !== e.card);
        break;
      }
      case 'packEjected': {
        const pack = this.packs.get(e.packId);
        if (pack) pack.pocket = null;
        break;
      }
      case 'stackerEmptied': {
        const list = this.stackers.get(e.station) ?? [];
        this.unloaded.push(...list);
        this.stackers.set(e.station, []);
        break;
      }
    }
  }

  summary(): LedgerSummary {
    return {
      stacker: [...this.stackers.values()].flat().map((c) => ({ ...c })),
      rejectBin: this.rejectBin.map((c) => ({ ...c })),
      inMachine: [...this.inMachine.entries()].map(([cardSerial, station]) => ({ cardSerial, station })),
      unloaded: this.unloaded.map((c) => ({ ...c })),
      packs: [...this.packs.entries()].map(([packId, p]) => ({ packId, station: p.station, office: p.office, cards: p.cards.map((c) => ({ ...c })), pocket: p.pocket })),
      blanksLoaded: this.blanksLoaded,
      magazine: this.magazine,
      fed: this.fed,
      stacked: this.stacked,
      rejected: this.rejected,
      purged: this.purged,
      starts: this.starts,
      badLines: this.badLines,
    };
  }
}

export function ledgerFile(dataDir: string): string {
  return path.join(dataDir, 'sim', 'ledger.jsonl');
}

function replayText(text: string): LedgerState {
  const state = new LedgerState();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let entry: unknown;
    try {
      entry = JSON.parse(line);
    } catch {
      state.badLines += 1;
      continue;
    }
    if (entry === null || typeof entry !== 'object' || typeof (entry as { ev?: unknown }).ev !== 'string') {
      state.badLines += 1;
      continue;
    }
    state.apply(withoutClearMrz(entry as Record<string, unknown>) as unknown as LedgerEvent);
  }
  return state;
}

/** Replays a ledger file into its summary; a missing file is an empty ledger. */
export async function summarizeLedger(file: string): Promise<LedgerSummary> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new LedgerState().summary();
    throw new Error(`cannot read the simulator ledger ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { cause: error });
  }
  return replayText(text).summary();
}

/** Every entry of a ledger file, in order (for tests and tools). Torn lines are skipped. */
export async function readLedger(file: string): Promise<LedgerEntry[]> {
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return '';
    throw error;
  });
  return text.split('\n').flatMap((line) => {
    if (line.trim() === '') return [];
    try {
      return [withoutClearMrz(JSON.parse(line) as Record<string, unknown>) as unknown as LedgerEntry];
    } catch {
      return [];
    }
  });
}

/**
 * Replaces a ledger that still holds DG1 MRZs in clear (written before dg1Digest) by the same
 * lines with digests, atomically (a new file renamed over the old one). Returns the new text.
 */
function rewriteWithoutClearMrz(file: string, text: string): string {
  const lines = text.split('\n').map((line) => {
    if (!line.includes('"dg1Mrz"')) return line;
    try {
      return JSON.stringify(withoutClearMrz(JSON.parse(line) as Record<string, unknown>));
    } catch {
      return ''; // a torn line holding part of an MRZ: dropped rather than kept in clear
    }
  });
  const next = lines.join('\n');
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, next, { mode: 0o600 });
  renameSync(temp, file);
  return next;
}

/** The open ledger of a running simulator: appends events and keeps the replayed state current. */
export class Ledger {
  private fd: number | undefined;

  private constructor(
    readonly file: string,
    readonly state: LedgerState,
    fd: number,
    private readonly simNow: () => number,
  ) {
    this.fd = fd;
  }

  /** Opens (creating) the ledger and replays what is already in it. */
  static open(file: string, simNow: () => number = () => 0): Ledger {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    let text = existsSync(file) ? readFileSync(file, 'utf8') : '';
    if (text.includes('"dg1Mrz"')) text = rewriteWithoutClearMrz(file, text);
    const state = replayText(text);
    const fd = openSync(file, 'a', 0o600);
    // A ledger written by an older simulator may be world-readable; it names cards, not people, but
    // it is the line's evidence.
    chmodSync(file, 0o600);
    // A torn last line (the previous process died mid-write) must not swallow the next event.
    if (text !== '' && !text.endsWith('\n')) writeSync(fd, '\n');
    return new Ledger(file, state, fd, simNow);
  }

  append(event: LedgerEvent): void {
    if (this.fd === undefined) throw new Error(`the simulator ledger ${this.file} is closed`);
    const entry = { t: new Date().toISOString(), sim: Math.round(this.simNow()), ...event };
    if (this.unwritten === '') this.flushing = setImmediate(() => this.flush());
    this.unwritten += `${JSON.stringify(entry)}\n`;
    this.state.apply(event);
  }

  /** Lines appended in this turn, written at its end. */
  private unwritten = '';
  private flushing: NodeJS.Immediate | undefined;

  /** Writes the lines appended so far (at the end of the turn, and on close). */
  flush(): void {
    if (this.flushing) clearImmediate(this.flushing);
    this.flushing = undefined;
    if (this.unwritten === '' || this.fd === undefined) return;
    const text = this.unwritten;
    this.unwritten = '';
    writeSync(this.fd, text);
  }

  summary(): LedgerSummary {
    return this.state.summary();
  }

  close(): void {
    if (this.fd === undefined) return;
    this.flush();
    closeSync(this.fd);
    this.fd = undefined;
  }
}
