/** The test client's reading of a text/event-stream, against the spec's own examples and edge cases (WHATWG HTML, "Server-sent events"). */
import { describe, expect, it } from 'vitest';
import { sseFrames, type SseFrame } from './sse-frames.ts';

/** `text` cut into chunks at `cuts` (character offsets), as the network may deliver it. */
async function read(text: string, cuts: readonly number[] = []): Promise<SseFrame[]> {
  const bytes = new TextEncoder().encode(text);
  const edges = [0, ...cuts.map((c) => new TextEncoder().encode(text.slice(0, c)).length), bytes.length];
  const chunks = edges.slice(1).map((end, i) => bytes.slice(edges[i], end));
  const frames: SseFrame[] = [];
  for await (const frame of sseFrames(chunks)) frames.push(frame);
  return frames;
}

describe('sseFrames', () => {
  it("reads the server's frames: id, event and JSON data; comments and retry passed over", async () => {
    const text = 'retry: 3000\n\n: keep-alive\n\nid: 7\nevent: card\ndata: {"step":"stacked"}\n\nid: 8\nevent: reset\ndata: {"resumeFrom":8}\n\n';
    expect(await read(text)).toStrictEqual([
      { id: '7', event: 'card', data: '{"step":"stacked"}' },
      { id: '8', event: 'reset', data: '{"resumeFrom":8}' },
    ]);
  });

  it('joins multi-line data with a line feed; the spec example "YHOO / +2 / 10"', async () => {
    expect(await read('data: YHOO\ndata: +2\ndata: 10\n\n')).toStrictEqual([{ id: undefined, event: 'message', data: 'YHOO\n+2\n10' }]);
  });

  it('keeps the last id for later events, takes one leading space off a value, and a field without a colon has an empty value', async () => {
    expect(await read('id: 1\ndata:  two spaces\n\ndata\ndata:x\n\n')).toStrictEqual([
      { id: '1', event: 'message', data: ' two spaces' },
      { id: '1', event: 'message', data: '\nx' },
    ]);
  });

  it('does not dispatch an event without data, nor an unfinished one at the end', async () => {
    expect(await read('event: card\n\nid: 3\n\ndata: half')).toStrictEqual([]);
  });

  it('reads CRLF and CR line ends, and lines and characters split across chunks', async () => {
    const text = 'id: 4\r\nevent: dòng\r\ndata: Đã dừng\r\n\r\nid: 5\revent: b\rdata: y\r\r';
    const whole = await read(text);
    expect(whole).toStrictEqual([
      { id: '4', event: 'dòng', data: 'Đã dừng' },
      { id: '5', event: 'b', data: 'y' },
    ]);
    // Every cut: inside a CRLF, inside a field name, inside a multi-byte character's bytes (the cut is by characters here, the bytes of "đ" are two).
    for (let cut = 1; cut < text.length; cut++) expect({ cut, frames: await read(text, [cut]) }).toStrictEqual({ cut, frames: whole });
  });
});
