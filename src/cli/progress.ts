/**
 * A one-line progress display on standard error, redrawn at most a few times a second, and only
 * when standard error is a terminal (logs and CI output stay clean).
 */
export interface Progress {
  update(text: string): void;
  done(): void;
}

export function progressLine(label: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) return { update: () => undefined, done: () => undefined };
  let last = 0;
  let shown = false;
  return {
    update(text) {
      const now = Date.now();
      if (now - last < 200) return;
      last = now;
      shown = true;
      stream.write(`\r\x1b[2K${label}: ${text}`);
    },
    done() {
      if (shown) stream.write('\r\x1b[2K');
    },
  };
}
