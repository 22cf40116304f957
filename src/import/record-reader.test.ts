// Vectors are hand-written unless a source is named: RFC 4180 §2 for CSV, Unicode 15 §3.9
// Table 3-7 ("Well-Formed UTF-8 Byte Sequences") and Markus Kuhn's UTF-8 decoder stress test
// (https://www.cl.cam.ac.uk/~mgk25/ucs/examples/UTF-8-test.txt) for the invalid UTF-8 cases.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectFormat, readRecordFile, readRecords, type ReaderEvent, type RecordFormat } from './record-reader.ts';

type Part = string | readonly number[] | Uint8Array;
const bytes = (...parts: Part[]): Buffer =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));

// Real sources (file streams, sockets) resolve each chunk asynchronously; so do the test ones.
const tick = (): Promise<void> => Promise.resolve();

/** Feeds `data` in chunks whose sizes cycle through `sizes` (0 = an empty chunk). */
async function* chunked(data: Uint8Array, sizes: readonly number[] = [data.length]): AsyncGenerator<Uint8Array> {
  const cycle = sizes.some((s) => s > 0) ? sizes : [1];
  let pos = 0;
  for (let i = 0; pos < data.length; i++) {
    const size = cycle[i % cycle.length]!;
    await tick();
    yield data.subarray(pos, pos + size);
    pos += size;
  }
}

async function collect(events: AsyncIterable<ReaderEvent>): Promise<ReaderEvent[]> {
  const out: ReaderEvent[] = [];
  for await (const ev of events) out.push(ev);
  return out;
}

function read(
  data: string | Uint8Array,
  format: RecordFormat,
  opts: { sizes?: readonly number[]; max?: number } = {},
): Promise<ReaderEvent[]> {
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const options = opts.max === undefined ? {} : { maxRecordBytes: opts.max };
  return collect(readRecords(chunked(buf, opts.sizes), format, options));
}

const rec = (line: number, fields: Record<string, unknown>): ReaderEvent => ({ kind: 'record', line, fields });
const err = (line: number, message: string): ReaderEvent => ({ kind: 'error', line, message });
const hdr = (line: number, columns: string[]): ReaderEvent => ({ kind: 'header', line, columns });

const OVERLONG_64K =
  'line is longer than 64 KiB; the rest of the line was skipped (a record must fit in 64 KiB; is a line break missing?)';
const utf8Error = (offset: number, next: string, where = 'of the line'): string =>
  `invalid UTF-8 at byte offset ${offset} ${where} (next bytes: ${next}); save the file as UTF-8 (it may be in a legacy encoding such as Windows-1258 or TCVN3)`;

// Every table input below is also replayed in 1-byte and odd-sized chunks: the events must not
// depend on where the chunk boundaries fall.
interface Vector {
  name: string;
  format: RecordFormat;
  input: string | Buffer;
  max?: number;
  expected: ReaderEvent[];
}

const jsonlVectors: Vector[] = [
  {
    name: 'BOM at the start is skipped, LF lines',
    format: 'jsonl',
    input: bytes([0xef, 0xbb, 0xbf], '{"a":1}\n{"b":"x"}\n'),
    expected: [rec(1, { a: 1 }), rec(2, { b: 'x' })],
  },
  {
    name: 'CRLF line ends',
    format: 'jsonl',
    input: '{"a":1}\r\n{"a":2}\r\n',
    expected: [rec(1, { a: 1 }), rec(2, { a: 2 })],
  },
  {
    name: 'lone CR ends a line',
    format: 'jsonl',
    input: '{"a":1}\r{"a":2}\r\r\n{"a":3}',
    expected: [rec(1, { a: 1 }), rec(2, { a: 2 }), rec(4, { a: 3 })],
  },
  {
    name: 'a last line without a newline is read',
    format: 'jsonl',
    input: '{"a":1}\n{"a":2}',
    expected: [rec(1, { a: 1 }), rec(2, { a: 2 })],
  },
  {
    name: 'blank and whitespace-only lines are skipped but counted',
    format: 'jsonl',
    input: '\n  \t \r\n{"a":1}\n\n\t\n{"a":2}\n \n',
    expected: [rec(3, { a: 1 }), rec(6, { a: 2 })],
  },
  {
    // The quarantine report must not carry personal data, and V8 quotes the line in some messages.
    name: 'broken JSON is reported without quoting the line',
    format: 'jsonl',
    input: '{"fullName": Nguyễn Văn An}\n{"a":1,}\n{"a":"x\n',
    expected: [
      err(1, 'not valid JSON: unexpected character (a text value without its quotes?)'),
      err(2, 'not valid JSON: Expected double-quoted property name in JSON at position 7'),
      err(3, 'not valid JSON: Unterminated string in JSON at position 7'),
    ],
  },
  {
    name: 'values of any JSON type come through unchanged; duplicate keys keep the last',
    format: 'jsonl',
    input: '{"n":1.5,"b":true,"z":null,"arr":[1,{"x":"y"}],"o":{"k":"v"},"d":1,"d":2}\n',
    expected: [rec(1, { n: 1.5, b: true, z: null, arr: [1, { x: 'y' }], o: { k: 'v' }, d: 2 })],
  },
  {
    name: 'a line that is JSON but not an object is an error of its own',
    format: 'jsonl',
    input: '[1,2]\n42\n"s"\nnull\ntrue\n{"ok":1}\n',
    expected: [
      err(1, 'expected a JSON object ({...}) per line, got an array'),
      err(2, 'expected a JSON object ({...}) per line, got a number'),
      err(3, 'expected a JSON object ({...}) per line, got a string'),
      err(4, 'expected a JSON object ({...}) per line, got null'),
      err(5, 'expected a JSON object ({...}) per line, got a boolean'),
      rec(6, { ok: 1 }),
    ],
  },
  {
    name: 'Vietnamese text and a U+FEFF inside the data are kept',
    format: 'jsonl',
    input: '{"ho_ten":"Nguyễn Thị Ánh","x":"\ufeffa"}\n',
    expected: [rec(1, { ho_ten: 'Nguyễn Thị Ánh', x: '\ufeffa' })],
  },
  {
    // Kuhn 4.1.1 (overlong "/"), 4.2.? / Table 3-7 (E0 needs A0..BF), Kuhn 3.1.1 (lone
    // continuation), Kuhn 5.1.1 (UTF-16 surrogate), Table 3-7 (F4 90 = past U+10FFFF), Kuhn 3.5.2
    // (FF never appears), and a truncated sequence in the last line of the file (Kuhn 3.3.8).
    name: 'invalid UTF-8: one error per line, the good lines around it still come through',
    format: 'jsonl',
    input: bytes(
      '{"a":"', [0xc0, 0xaf], '"}\n',
      '{"a":"ok1"}\n',
      '{"a":"', [0xe0, 0x80, 0xaf], '"}\n',
      [0x80], '{"a":1}\n',
      '{"a":"', [0xed, 0xa0, 0x80], '"}\n',
      '{"a":"ok2"}\n',
      '{"a":"', [0xf4, 0x90, 0x80, 0x80], '"}\n',
      '{"a":"x', [0xff], '"}\n',
      '{"a":"', [0xe1, 0xbb],
    ),
    expected: [
      err(1, utf8Error(6, 'c0 af 22 7d')),
      rec(2, { a: 'ok1' }),
      err(3, utf8Error(6, 'e0 80 af 22')),
      err(4, utf8Error(0, '80 7b 22 61')),
      err(5, utf8Error(6, 'ed a0 80 22')),
      rec(6, { a: 'ok2' }),
      err(7, utf8Error(6, 'f4 90 80 80')),
      err(8, utf8Error(7, 'ff 22 7d')),
      err(9, utf8Error(6, 'e1 bb')),
    ],
  },
  {
    name: 'a line longer than the limit is one error; reading resumes on the next line',
    format: 'jsonl',
    input: `{"a":1}\n{"big":"${'x'.repeat(70_000)}"}\n{"a":2}\r\n${'y'.repeat(66_000)}\r{"a":3}`,
    expected: [rec(1, { a: 1 }), err(2, OVERLONG_64K), rec(3, { a: 2 }), err(4, OVERLONG_64K), rec(5, { a: 3 })],
  },
  {
    name: 'the limit is inclusive: exactly maxRecordBytes is accepted, one more byte is not',
    format: 'jsonl',
    max: 16,
    input: '{"a":"123456789"}\n{"a":"12345678"}\n{"a":"1234567890"}\n',
    expected: [
      err(1, 'line is longer than 16 bytes; the rest of the line was skipped (a record must fit in 16 bytes; is a line break missing?)'),
      rec(2, { a: '12345678' }),
      err(3, 'line is longer than 16 bytes; the rest of the line was skipped (a record must fit in 16 bytes; is a line break missing?)'),
    ],
  },
  { name: 'empty input', format: 'jsonl', input: '', expected: [] },
  { name: 'BOM only', format: 'jsonl', input: bytes([0xef, 0xbb, 0xbf]), expected: [] },
  {
    name: 'a partial BOM is data, not skipped',
    format: 'jsonl',
    input: bytes([0xef, 0xbb], '{"a":1}\n{"a":2}'),
    expected: [err(1, utf8Error(0, 'ef bb 7b 22')), rec(2, { a: 2 })],
  },
];

const csvVectors: Vector[] = [
  {
    name: 'header event, then records keyed by column (BOM, CRLF as in RFC 4180 §2 rule 1)',
    format: 'csv',
    input: bytes([0xef, 0xbb, 0xbf], 'so_cccd,ho_ten\r\n001099012345,Nguyễn Văn An\r\n079203000001,Trần Thị Bình'),
    expected: [
      hdr(1, ['so_cccd', 'ho_ten']),
      rec(2, { so_cccd: '001099012345', ho_ten: 'Nguyễn Văn An' }),
      rec(3, { so_cccd: '079203000001', ho_ten: 'Trần Thị Bình' }),
    ],
  },
  {
    name: 'header names are trimmed; whitespace inside values is kept; blank lines skipped',
    format: 'csv',
    input: '\n \n a , b \n\n x ,\ty\t\n\t\n',
    expected: [hdr(3, ['a', 'b']), rec(5, { a: ' x ', b: '\ty\t' })],
  },
  {
    name: 'an empty unquoted field is absent; an empty quoted field is an empty string',
    format: 'csv',
    input: 'a,b,c\n,,\n"",x,\n1,"",""\n',
    expected: [hdr(1, ['a', 'b', 'c']), rec(2, {}), rec(3, { a: '', b: 'x' }), rec(4, { a: '1', b: '', c: '' })],
  },
  {
    // RFC 4180 §2 rules 5-7.
    name: 'quoted fields hold commas, escaped quotes and line breaks; lines keep counting after them',
    format: 'csv',
    input: 'a,b\n"x,y","say ""hi"""\n"two\nlines","crlf\r\ninside"\n"cr\ronly",3\n4,5\n',
    expected: [
      hdr(1, ['a', 'b']),
      rec(2, { a: 'x,y', b: 'say "hi"' }),
      rec(3, { a: 'two\nlines', b: 'crlf\r\ninside' }),
      rec(6, { a: 'cr\ronly', b: '3' }),
      rec(8, { a: '4', b: '5' }),
    ],
  },
  {
    name: 'duplicate or empty header names: header event anyway, then one error naming them all',
    format: 'csv',
    input: 'a,,b,a, ,b\n1,2,3,4,5,6\n',
    expected: [
      hdr(1, ['a', '', 'b', 'a', '', 'b']),
      err(
        1,
        'CSV header: column 2 has no name; column 5 has no name; column name "a" is used by columns 1, 4; column name "b" is used by columns 3, 6; every column needs a unique name',
      ),
      // The later of two same-named columns wins, as JSON.parse does with duplicate keys.
      rec(2, { a: '4', '': '5', b: '6' }),
    ],
  },
  {
    name: 'a record with the wrong number of fields is one error',
    format: 'csv',
    input: 'a,b,c,d,e\n1,2,3\n1,2,3,4,5\n1\n1,2,3,4,5,6\n',
    expected: [
      hdr(1, ['a', 'b', 'c', 'd', 'e']),
      err(2, '3 fields, the header (line 1) has 5; check for a missing or extra comma, or quote values that contain commas'),
      rec(3, { a: '1', b: '2', c: '3', d: '4', e: '5' }),
      err(4, '1 field, the header (line 1) has 5; check for a missing or extra comma, or quote values that contain commas'),
      err(5, '6 fields, the header (line 1) has 5; check for a missing or extra comma, or quote values that contain commas'),
    ],
  },
  {
    name: 'a quote inside an unquoted field, or text after a closing quote, is an error for that record',
    format: 'csv',
    input: 'a,b\n1,ab"c\n2,"ab"c\n3,"ab" \n4,ok\n',
    expected: [
      hdr(1, ['a', 'b']),
      err(
        2,
        'stray quote inside unquoted field 2 ("b") on line 2 at byte offset 4; a value containing quotes must be enclosed in quotes, with each quote doubled ("")',
      ),
      err(
        3,
        'unexpected \'c\' after the closing quote of field 2 ("b") on line 3 at byte offset 6; a closing quote must be followed by a comma or the end of the line',
      ),
      err(
        4,
        'unexpected space after the closing quote of field 2 ("b") on line 4 at byte offset 6; a closing quote must be followed by a comma or the end of the line',
      ),
      rec(5, { a: '4', b: 'ok' }),
    ],
  },
  {
    name: 'unterminated quote at the end of the file: one error, the lines it swallowed are re-read',
    format: 'csv',
    input: 'a,b\n1,"never closed\n2,3\n4,5',
    expected: [
      hdr(1, ['a', 'b']),
      err(2, 'unterminated quoted field starting at line 2: the file ends inside it'),
      rec(3, { a: '2', b: '3' }),
      rec(4, { a: '4', b: '5' }),
    ],
  },
  {
    name: 'unterminated quote: gives up after maxRecordBytes and resumes at the line after its start',
    format: 'csv',
    max: 24,
    input: 'a,b\n1,"stray\n2,3\n4,5\n6,7\n8,9\n10,11\n',
    expected: [
      hdr(1, ['a', 'b']),
      err(2, 'unterminated quoted field starting at line 2: no closing quote within 24 bytes'),
      rec(3, { a: '2', b: '3' }),
      rec(4, { a: '4', b: '5' }),
      rec(5, { a: '6', b: '7' }),
      rec(6, { a: '8', b: '9' }),
      rec(7, { a: '10', b: '11' }),
    ],
  },
  {
    // The resync rule costs a bad multi-line record's continuation lines one re-read: here
    // they are fragments of the bad record and get errors of their own.
    name: 'a multi-line record that is bad after its first line resyncs at its second line',
    format: 'csv',
    input: 'a,b\n1,"x\ny"z\n2,3\n',
    expected: [
      hdr(1, ['a', 'b']),
      err(
        2,
        'unexpected \'z\' after the closing quote of field 2 ("b") on line 3 at byte offset 2; a closing quote must be followed by a comma or the end of the line',
      ),
      err(
        3,
        'stray quote inside unquoted field 1 ("a") on line 3 at byte offset 1; a value containing quotes must be enclosed in quotes, with each quote doubled ("")',
      ),
      rec(4, { a: '2', b: '3' }),
    ],
  },
  {
    name: 'a complete multi-line record longer than the limit is an error',
    format: 'csv',
    max: 16,
    input: 'a\n"0123456789\n0123456789"\nok\n',
    expected: [
      hdr(1, ['a']),
      err(2, 'record starting at line 2 is longer than 16 bytes (it ends on line 3)'),
      err(
        3,
        'stray quote inside unquoted field 1 ("a") on line 3 at byte offset 10; a value containing quotes must be enclosed in quotes, with each quote doubled ("")',
      ),
      rec(4, { a: 'ok' }),
    ],
  },
  {
    name: 'a line longer than the limit is one error, even inside an open quote',
    format: 'csv',
    max: 16,
    input: `a,b\n1,2\n${'x'.repeat(40)}\n3,"4\n${'y'.repeat(40)}\n5,6\n`,
    expected: [
      hdr(1, ['a', 'b']),
      rec(2, { a: '1', b: '2' }),
      err(3, 'line is longer than 16 bytes; the rest of the line was skipped (a record must fit in 16 bytes; is a line break missing?)'),
      err(4, 'unterminated quoted field starting at line 4: no closing quote within 16 bytes'),
      err(5, 'line is longer than 16 bytes; the rest of the line was skipped (a record must fit in 16 bytes; is a line break missing?)'),
      rec(6, { a: '5', b: '6' }),
    ],
  },
  {
    name: 'invalid UTF-8 names the field and the line inside a multi-line record',
    format: 'csv',
    input: bytes('a,b\n1,x', [0xc3, 0x28], '\n"p\nq', [0xa0], '",2\n3,4\n'),
    expected: [
      hdr(1, ['a', 'b']),
      err(2, utf8Error(3, 'c3 28', 'of the line, field 2 ("b")')),
      err(3, utf8Error(1, 'a0 22 2c 32', 'of line 4, field 1 ("a")')),
      // Resync: the second line of the bad record is re-read on its own.
      err(
        4,
        'stray quote inside unquoted field 1 ("a") on line 4 at byte offset 2; a value containing quotes must be enclosed in quotes, with each quote doubled ("")',
      ),
      rec(5, { a: '3', b: '4' }),
    ],
  },
  {
    name: 'an unreadable header: one error for it, then every record says why it is skipped',
    format: 'csv',
    input: 'a,"b\n1,2\n',
    expected: [
      err(1, 'CSV header: unterminated quoted field starting at line 1: the file ends inside it'),
      err(2, 'record skipped: the CSV header on line 1 could not be read; fix the header and import the file again'),
    ],
  },
  {
    name: 'errors while reading the header name the header column',
    format: 'csv',
    input: 'a,b"c\n1,2\n',
    expected: [
      err(
        1,
        'CSV header: stray quote inside unquoted column 2 of the header on line 1 at byte offset 3; a value containing quotes must be enclosed in quotes, with each quote doubled ("")',
      ),
      err(2, 'record skipped: the CSV header on line 1 could not be read; fix the header and import the file again'),
    ],
  },
  {
    name: 'a column named __proto__ is an ordinary field',
    format: 'csv',
    input: '__proto__,b\nx,y\n',
    expected: [hdr(1, ['__proto__', 'b']), rec(2, JSON.parse('{"__proto__":"x","b":"y"}') as Record<string, unknown>)],
  },
  {
    name: 'a quoted header name may contain a comma; a trailing comma is one more (empty) field',
    format: 'csv',
    input: '"x,y",z\n1,\n',
    expected: [hdr(1, ['x,y', 'z']), rec(2, { 'x,y': '1' })],
  },
  { name: 'header only', format: 'csv', input: 'a,b\r\n', expected: [hdr(1, ['a', 'b'])] },
  { name: 'empty CSV', format: 'csv', input: '\r\n\n', expected: [] },
];

describe('readRecords: table', () => {
  for (const v of [...jsonlVectors, ...csvVectors]) {
    it(`${v.format}: ${v.name}`, async () => {
      const base = v.max === undefined ? {} : { max: v.max };
      expect(await read(v.input, v.format, base)).toStrictEqual(v.expected);
      expect(await read(v.input, v.format, { ...base, sizes: [1] })).toStrictEqual(v.expected);
      expect(await read(v.input, v.format, { ...base, sizes: [3, 0, 7, 2] })).toStrictEqual(v.expected);
    });
  }

  it('a 256 MiB line without a newline is skipped with bounded memory', async () => {
    // The source hands out the same 1 MiB buffer again and again: if the reader kept what it
    // skips, memory would grow by 256 MiB (and, with views instead of copies, data would be wrong).
    const block = Buffer.alloc(1024 * 1024, 0x78);
    async function* source(): AsyncGenerator<Uint8Array> {
      yield Buffer.from('{"a":1}\n{"b":"');
      for (let i = 0; i < 256; i++) {
        await tick();
        yield block;
      }
      yield Buffer.from('"}\n{"a":2}\n');
    }
    const before = process.memoryUsage().arrayBuffers;
    let peak = 0;
    const events: ReaderEvent[] = [];
    for await (const ev of readRecords(source(), 'jsonl')) {
      events.push(ev);
      peak = Math.max(peak, process.memoryUsage().arrayBuffers - before);
    }
    expect(events).toStrictEqual([rec(1, { a: 1 }), err(2, OVERLONG_64K), rec(3, { a: 2 })]);
    expect(peak).toBeLessThan(32 * 1024 * 1024);
  });

  it('a source that reuses its buffer for every chunk gives the same events', async () => {
    const text = 'a,b\n"multi\nline",x\r\n1,2\r\n3,"4"\n';
    async function* reusing(): AsyncGenerator<Uint8Array> {
      const buf = Buffer.alloc(3);
      const data = Buffer.from(text);
      for (let pos = 0; pos < data.length; pos += 3) {
        await tick();
        buf.fill(0x3f);
        const n = data.copy(buf, 0, pos, pos + 3);
        yield buf.subarray(0, n);
      }
    }
    expect(await collect(readRecords(reusing(), 'csv'))).toStrictEqual(await read(text, 'csv'));
  });

  it('rejects misuse: bad limit, unknown format, string chunks', async () => {
    expect(() => readRecords(chunked(Buffer.from('')), 'csv', { maxRecordBytes: 0 })).toThrow(RangeError);
    expect(() => readRecords(chunked(Buffer.from('')), 'xml' as RecordFormat)).toThrow(TypeError);
    async function* strings(): AsyncGenerator<string> {
      await tick();
      yield '{"a":1}\n';
    }
    await expect(collect(readRecords(strings() as unknown as AsyncIterable<Buffer>, 'jsonl'))).rejects.toThrow(
      /expected Buffer\/Uint8Array chunks, got string/,
    );
  });
});

describe('detectFormat', () => {
  const cases: [string, string | Buffer, RecordFormat][] = [
    ['batch.CSV', '{"a":1}', 'csv'],
    ['batch.jsonl', 'a,b', 'jsonl'],
    ['batch.ndjson', '', 'jsonl'],
    ['batch.json', '', 'jsonl'],
    ['batch.txt', ' \r\n\t{"a":1}', 'jsonl'],
    ['batch', bytes([0xef, 0xbb, 0xbf], '\n{"a":1}'), 'jsonl'],
    ['batch.dat', 'so_cccd,ho_ten\n', 'csv'],
    ['batch.dat', '', 'csv'],
    ['batch.dat', '[{"a":1}]', 'csv'],
  ];
  for (const [path, first, expected] of cases) {
    it(`${path} starting with ${JSON.stringify(first.toString())} → ${expected}`, () => {
      expect(detectFormat(path, Buffer.from(first))).toBe(expected);
    });
  }
});

describe('readRecordFile', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cardline-reader-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('detects the format by sniffing when the extension says nothing', async () => {
    const path = join(dir, 'batch.dat');
    await writeFile(path, '\n{"so_cccd":"001099012345"}\n');
    expect(await collect(readRecordFile(path))).toStrictEqual([rec(2, { so_cccd: '001099012345' })]);
  });

  it('uses the given format over the extension, and honours maxRecordBytes', async () => {
    const path = join(dir, 'batch.jsonl');
    await writeFile(path, 'a\n12345\n1\n');
    expect(await collect(readRecordFile(path, 'csv', { maxRecordBytes: 4 }))).toStrictEqual([
      hdr(1, ['a']),
      err(2, 'line is longer than 4 bytes; the rest of the line was skipped (a record must fit in 4 bytes; is a line break missing?)'),
      rec(3, { a: '1' }),
    ]);
  });

  it('reads a file larger than one read buffer, and a consumer may stop early', async () => {
    const path = join(dir, 'big.csv');
    const rows = Array.from({ length: 50_000 }, (_, i) => `${i},${'Nguyễn'.repeat(5)}`);
    await writeFile(path, `n,name\n${rows.join('\n')}\n`);
    let n = 0;
    for await (const ev of readRecordFile(path)) if (ev.kind === 'record') n++;
    expect(n).toBe(50_000);
    for await (const ev of readRecordFile(path)) if (ev.kind === 'record') break;
  });

  it('a missing file rejects with the path in the error', async () => {
    await expect(collect(readRecordFile(join(dir, 'missing.csv')))).rejects.toThrow(/missing\.csv/);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties

const chunkSizes = fc.oneof(fc.constant([1]), fc.array(fc.nat({ max: 70 }), { minLength: 1, maxLength: 8 }));

/** Bytes that matter to the reader, mixed with random ones and long runs. */
const byteSoup = (longRun: fc.Arbitrary<number>): fc.Arbitrary<Uint8Array> =>
  fc
    .array(
      fc.oneof(
        fc.uint8Array({ maxLength: 24 }),
        fc
          .constantFrom('"', ',', '\r', '\n', '\r\n', '""', '{', '}', '{"a":1}', 'a,b', ' ', '\ufeff', 'ễ')
          .map((s) => Buffer.from(s)),
        fc.constantFrom([0xef, 0xbb, 0xbf], [0xc0, 0xaf], [0xe1, 0xbb], [0x80], [0xff]).map((b) => Buffer.from(b)),
        longRun.map((n) => Buffer.alloc(n, 0x61)),
      ),
      { maxLength: 50 },
    )
    .map((parts) => Buffer.concat(parts));

function physicalLines(data: Uint8Array): number {
  let n = 1;
  for (let i = 0; i < data.length; i++) {
    if (data[i] === 0x0a || (data[i] === 0x0d && data[i + 1] !== 0x0a)) n++;
  }
  return n;
}

function checkInvariants(events: ReaderEvent[], data: Uint8Array, format: RecordFormat): void {
  const lines = physicalLines(data);
  let last = 0;
  events.forEach((ev, i) => {
    expect(ev.line).toBeGreaterThanOrEqual(1);
    expect(ev.line).toBeLessThanOrEqual(lines);
    expect(ev.line).toBeGreaterThanOrEqual(last);
    // One event per start line, except the header and the error listing its bad names.
    const headerProblem = ev.kind === 'error' && events[i - 1]?.kind === 'header' && events[i - 1]?.line === ev.line;
    if (i > 0 && !headerProblem) expect(ev.line).toBeGreaterThan(last);
    last = ev.line;
  });
  if (format === 'jsonl') expect(events.some((e) => e.kind === 'header')).toBe(false);
  else expect(events.filter((e) => e.kind === 'header').length).toBeLessThanOrEqual(1);
}

describe('readRecords: properties', () => {
  for (const format of ['jsonl', 'csv'] as const) {
    it(`${format}: arbitrary bytes in arbitrary chunks never throw, never hang, and lines only grow`, async () => {
      await fc.assert(
        fc.asyncProperty(byteSoup(fc.integer({ min: 10, max: 200 })), chunkSizes, fc.integer({ min: 4, max: 100 }), async (data, sizes, max) => {
          const whole = await read(data, format, { max });
          checkInvariants(whole, data, format);
          expect(await read(data, format, { max, sizes })).toStrictEqual(whole);
        }),
        { numRuns: 400 },
      );
    });

    it(`${format}: the invalid UTF-8 offset is where the longest valid prefix ends`, async () => {
      const fatal = new TextDecoder('utf-8', { fatal: true });
      const decodes = (b: Uint8Array): boolean => {
        try {
          fatal.decode(b);
          return true;
        } catch {
          return false;
        }
      };
      const raw = fc
        .array(fc.oneof(fc.integer({ min: 0x80, max: 0xff }), fc.integer({ min: 0x20, max: 0x7e })), { maxLength: 24 })
        .map((a) => a.filter((c) => c !== 0x22 && c !== 0x5c && c !== 0x2c));
      await fc.assert(
        fc.asyncProperty(raw, async (a) => {
          const line = format === 'jsonl' ? bytes('{"a":"', a, '"}') : bytes('x,', a);
          const events = await read(format === 'jsonl' ? line : bytes('a,b\n', line), format);
          const last = events[events.length - 1]!;
          if (decodes(line)) {
            expect(last.kind).toBe('record');
            return;
          }
          const m = /^invalid UTF-8 at byte offset (\d+) of the line/.exec(last.kind === 'error' ? last.message : '');
          expect(m).not.toBeNull();
          const offset = Number(m?.[1]);
          expect(decodes(line.subarray(0, offset))).toBe(true);
          for (let end = offset + 1; end <= line.length; end++) expect(decodes(line.subarray(0, end))).toBe(false);
        }),
        { numRuns: 500 },
      );
    });

    it(`${format}: huge lines (past the default 64 KiB) in arbitrary chunks`, async () => {
      const sizes = fc.array(fc.integer({ min: 1, max: 40_000 }), { minLength: 1, maxLength: 4 });
      await fc.assert(
        fc.asyncProperty(byteSoup(fc.integer({ min: 30_000, max: 140_000 })), sizes, async (data, sizes) => {
          const whole = await read(data, format);
          checkInvariants(whole, data, format);
          expect(await read(data, format, { sizes })).toStrictEqual(whole);
        }),
        { numRuns: 40 },
      );
    });
  }
});

// Writers for the round-trip properties. The CSV escaper quotes what RFC 4180 §2 rule 6
// requires, plus empty values (an empty unquoted field means "absent") and blank values (a
// whitespace-only line is skipped), plus any value the generator chose to quote anyway.
function csvField(value: string, forceQuote: boolean): string {
  const quote = forceQuote || value === '' || value.trim() === '' || /[",\r\n]/.test(value);
  return quote ? `"${value.replace(/"/g, '""')}"` : value;
}

const TERMINATORS = ['\n', '\r\n', '\r'] as const;
const terminator = fc.constantFrom(...TERMINATORS);
const blankLines = fc.array(fc.tuple(fc.constantFrom('', ' ', '\t', ' \t '), terminator), { maxLength: 2 }).map((ls) => ls.map(([b, t]) => b + t).join(''));

/** Any code point, biased towards the ones that matter to CSV and JSON framing. */
const unit = fc.oneof(
  fc.constantFrom('"', ',', '\n', '\r', '\r\n', ' ', '\t', '\ufeff', '\u2028', 'ễ', 'Đ', '😀', '\\', '{'),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
);
const anyText = (maxLength: number) => fc.string({ unit, maxLength });

interface Piece {
  text: string;
  /** Index of the record (0-based) this piece holds, or null for header/blank/garbage. */
  record: number | null;
  garbage?: boolean;
}

/** Joins pieces and computes each piece's start line by counting terminators in the text. */
function layout(pieces: Piece[], bom: boolean): { data: Buffer; lines: number[] } {
  let text = '';
  const starts: number[] = [];
  for (const p of pieces) {
    starts.push(text.length);
    text += p.text;
  }
  const lines: number[] = [];
  const re = /\r\n|\r|\n/g;
  let count = 0;
  let m: RegExpExecArray | null = re.exec(text);
  for (const start of starts) {
    while (m !== null && m.index < start) {
      count++;
      m = re.exec(text);
    }
    lines.push(count + 1);
  }
  return { data: Buffer.concat([Buffer.from(bom ? [0xef, 0xbb, 0xbf] : []), Buffer.from(text, 'utf8')]), lines };
}

interface CsvCase {
  columns: string[];
  rows: { values: (string | undefined)[]; quote: boolean[]; term: string; before: string }[];
}

const columnName = anyText(6)
  .map((s) => s.trim())
  .filter((s) => s !== '');

const csvCase = (value: fc.Arbitrary<string>): fc.Arbitrary<CsvCase> =>
  fc.uniqueArray(columnName, { minLength: 1, maxLength: 5 }).chain((columns) =>
    fc.record({
      columns: fc.constant(columns),
      rows: fc.array(
        fc.record({
          // The first column is always given: a one-column record with nothing in it would be
          // an empty line, which the reader skips by design.
          values: fc.tuple(value, ...columns.slice(1).map(() => fc.option(value, { nil: undefined }))),
          quote: fc.array(fc.boolean(), { minLength: columns.length, maxLength: columns.length }),
          term: terminator,
          before: blankLines,
        }),
        { maxLength: 12 },
      ),
    }),
  );

function csvPieces(c: CsvCase, lastTerm: boolean, quoteAnyway = true): { pieces: Piece[]; expected: Record<string, unknown>[] } {
  const pieces: Piece[] = [{ text: `${c.columns.map((n) => csvField(n, false)).join(',')}\r\n`, record: null }];
  const expected: Record<string, unknown>[] = [];
  c.rows.forEach((row, i) => {
    pieces.push({ text: row.before, record: null });
    const cells = row.values.map((v, k) => (v === undefined ? '' : csvField(v, quoteAnyway && row.quote[k] === true)));
    const last = i === c.rows.length - 1;
    pieces.push({ text: cells.join(',') + (last && !lastTerm ? '' : row.term), record: i });
    const fields: Record<string, unknown> = {};
    row.values.forEach((v, k) => {
      if (v !== undefined) fields[c.columns[k]!] = v;
    });
    expected.push(fields);
  });
  return { pieces, expected };
}

function expectedEvents(pieces: Piece[], lines: number[], header: string[] | null, records: Record<string, unknown>[]): unknown[] {
  const events: unknown[] = [];
  if (header !== null) events.push(hdr(lines[0]!, header));
  pieces.forEach((p, i) => {
    if (p.garbage === true) events.push({ kind: 'error', line: lines[i], message: expect.any(String) as unknown });
    else if (p.record !== null) events.push(rec(lines[i]!, records[p.record]!));
  });
  return events;
}

const jsonlRows = fc.array(
  fc.record({ fields: fc.dictionary(anyText(6), anyText(12), { maxKeys: 5, noNullPrototype: true }), term: terminator, before: blankLines }),
  { maxLength: 12 },
);

function jsonlPieces(rows: { fields: Record<string, string>; term: string; before: string }[], lastTerm: boolean): Piece[] {
  const pieces: Piece[] = [];
  rows.forEach((row, i) => {
    pieces.push({ text: row.before, record: null });
    const last = i === rows.length - 1;
    pieces.push({ text: JSON.stringify(row.fields) + (last && !lastTerm ? '' : row.term), record: i });
  });
  return pieces;
}

describe('readRecords: round trip', () => {
  it('csv: written records come back exactly, with their start lines, in any chunking', async () => {
    await fc.assert(
      fc.asyncProperty(csvCase(anyText(12)), fc.boolean(), fc.boolean(), chunkSizes, async (c, bom, lastTerm, sizes) => {
        const { pieces, expected } = csvPieces(c, lastTerm);
        const { data, lines } = layout(pieces, bom);
        const want = expectedEvents(pieces, lines, c.columns, expected);
        expect(await read(data, 'csv', { sizes })).toStrictEqual(want);
      }),
      { numRuns: 400 },
    );
  });

  it('jsonl: written records come back exactly, with their start lines, in any chunking', async () => {
    await fc.assert(
      fc.asyncProperty(jsonlRows, fc.boolean(), fc.boolean(), chunkSizes, async (rows, bom, lastTerm, sizes) => {
        const pieces = jsonlPieces(rows, lastTerm);
        const { data, lines } = layout(pieces, bom);
        const want = expectedEvents(
          pieces,
          lines,
          null,
          rows.map((r) => r.fields),
        );
        expect(await read(data, 'jsonl', { sizes })).toStrictEqual(want);
      }),
      { numRuns: 400 },
    );
  });
});

// One garbage line among good records: exactly one error, on that line, and every good record.
const GARBAGE_MAX = 4096;
const jsonlGarbage = fc.oneof(
  fc.constantFrom('{"a":', '[1,2]', '42', 'null', '"text"', '{"a":1}}', "{'a':1}"),
  anyText(20).map((s) => `x${s.replace(/[\r\n]/g, '')}`),
  fc.constant(`{"a":"${'x'.repeat(GARBAGE_MAX)}"}`),
);
// Bytes that are not UTF-8 cannot go through a JS string: marked and patched after layout.
const BAD_UTF8_MARK = '\u0001BAD\u0001';

function patchBadUtf8(data: Buffer): Buffer {
  const mark = Buffer.from(BAD_UTF8_MARK);
  const at = data.indexOf(mark);
  if (at === -1) return data;
  // Same length as the mark, so line numbers and offsets stay valid.
  const bad = Buffer.from([0x61, 0xc0, 0xaf, 0xed, 0xa0]);
  return Buffer.concat([data.subarray(0, at), bad, data.subarray(at + mark.length)]);
}

describe('readRecords: one garbage line', () => {
  it('jsonl', async () => {
    await fc.assert(
      fc.asyncProperty(
        jsonlRows,
        fc.oneof(jsonlGarbage, fc.constant(`{"a":"${BAD_UTF8_MARK}"}`)),
        fc.nat(),
        terminator,
        chunkSizes,
        async (rows, garbage, where, term, sizes) => {
          const pieces = jsonlPieces(rows, true);
          const at = 2 * (where % (rows.length + 1)); // before a record's blank lines, or at the end
          pieces.splice(at, 0, { text: garbage + term, record: null, garbage: true });
          const { data, lines } = layout(pieces, false);
          const want = expectedEvents(
            pieces,
            lines,
            null,
            rows.map((r) => r.fields),
          );
          expect(await read(patchBadUtf8(data), 'jsonl', { sizes, max: GARBAGE_MAX })).toStrictEqual(want);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('csv', async () => {
    // A stray opening quote is ambiguous in CSV: later lines holding quotes can close it and
    // form a record. That kind of garbage is therefore mixed only with quote-free records,
    // where the resync rule guarantees recovery.
    const quoteFree = fc.string({ unit: fc.constantFrom('a', 'b', 'ễ', ' ', '😀'), minLength: 1, maxLength: 8 }).filter((s) => s.trim() !== '');
    const kinds = fc.constantFrom('fields', 'stray', 'after', 'utf8', 'long', 'unterminated');
    await fc.assert(
      fc.asyncProperty(
        kinds.chain((kind) => fc.tuple(fc.constant(kind), csvCase(kind === 'unterminated' ? quoteFree : anyText(10)))),
        fc.nat(),
        terminator,
        chunkSizes,
        async ([kind, c], where, term, sizes) => {
          const { pieces, expected } = csvPieces(c, true, kind !== 'unterminated');
          const pad = ','.repeat(c.columns.length - 1);
          const garbage = {
            fields: `x${',x'.repeat(c.columns.length)}`,
            stray: `ab"c${pad}`,
            after: `"ab"c${pad}`,
            utf8: `${BAD_UTF8_MARK}${pad}`,
            long: 'x'.repeat(GARBAGE_MAX + 1),
            unterminated: `"abc${pad}`,
          }[kind];
          const at = 1 + 2 * (where % (c.rows.length + 1));
          pieces.splice(at, 0, { text: garbage + term, record: null, garbage: true });
          const { data, lines } = layout(pieces, false);
          const want = expectedEvents(pieces, lines, c.columns, expected);
          expect(await read(patchBadUtf8(data), 'csv', { sizes, max: GARBAGE_MAX })).toStrictEqual(want);
        },
      ),
      { numRuns: 400 },
    );
  });
});
