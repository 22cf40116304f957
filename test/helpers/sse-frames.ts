// Test support: a text/event-stream read into its events as a browser's EventSource reads it
// (WHATWG HTML, "Server-sent events", "Interpreting an event stream"), for the tests that follow
// `cardline serve`'s /api/v1/events over fetch.

export interface SseFrame {
  /** The last event ID when the event was dispatched: the stream's latest `id:` (it carries over to later events), undefined before any. */
  readonly id: string | undefined;
  /** `event:`, else `message`. */
  readonly event: string;
  /** Its `data:` lines joined by a line feed. */
  readonly data: string;
}

/**
 * The events of a stream's body, one at its dispatch (a blank line). Lines end in CRLF, LF or CR
 * and may span chunks; `:` starts a comment (the server's keep-alive); a field's value is what
 * follows its first colon, less one leading space; an event without data is not dispatched, as the
 * spec says; `retry:` and unknown fields are passed over; a partial event at the end is dropped.
 */
export async function* sseFrames(body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): AsyncGenerator<SseFrame> {
  let id: string | undefined;
  let event = '';
  let data: string[] = [];
  for await (const line of lines(body)) {
    if (line === '') {
      if (data.length > 0) yield { id, event: event || 'message', data: data.join('\n') };
      event = '';
      data = [];
      continue;
    }
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'data') data.push(value);
    else if (field === 'event') event = value;
    else if (field === 'id' && !value.includes('\0')) id = value;
  }
}

/** The body's lines without their ends (CRLF, LF or CR); an unended last line is dropped. */
async function* lines(body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let pending = '';
  for await (const chunk of body) {
    pending += decoder.decode(chunk, { stream: true });
    let end: RegExpExecArray | null;
    // A CR at the very end may be the first half of a CRLF: it waits for the next chunk.
    while ((end = /\r\n|\n|\r(?!$)/.exec(pending)) !== null) {
      yield pending.slice(0, end.index);
      pending = pending.slice(end.index + end[0].length);
    }
  }
  if (pending.endsWith('\r')) yield pending.slice(0, -1);
}
