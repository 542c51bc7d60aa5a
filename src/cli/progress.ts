/** A one-line progress bar on stderr (stdout stays clean for scripts); silent when stderr is not a TTY. */
export function progressBar(label: string): { update: (done: number, total: number) => void; done: () => void } {
  const tty = process.stderr.isTTY === true;
  let drawn = false;
  return {
    update(done, total) {
      if (!tty || total === 0) return;
      const width = 30;
      const filled = Math.round((done / total) * width);
      process.stderr.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`);
      drawn = true;
    },
    done() {
      if (drawn) process.stderr.write('\n');
    },
  };
}

/**
 * Progress of work whose size may be unknown, on stderr when it is a TTY: a bar when `total` is known, else a
 * running count; `detail` follows (e.g. bytes). Redrawn at most every 100 ms, and once more at the end.
 */
export function progressMeter(label: string): {
  update: (done: number, total: number | undefined, detail?: string) => void;
  done: () => void;
} {
  const tty = process.stderr.isTTY === true;
  let drawn = false;
  let last = 0;
  let pending: (() => void) | undefined;
  const draw = (done: number, total: number | undefined, detail?: string) => {
    const suffix = detail ? ` ${detail}` : '';
    if (total !== undefined && total > 0) {
      const width = 30;
      const filled = Math.min(width, Math.round((done / total) * width));
      const count = `${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')}`;
      process.stderr.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${count}${suffix}\u001b[K`);
    } else {
      process.stderr.write(`\r${label} ${done.toLocaleString('en-US')}${suffix}\u001b[K`);
    }
    drawn = true;
  };
  return {
    update(done, total, detail) {
      if (!tty) return;
      pending = () => draw(done, total, detail);
      const now = Date.now();
      if (now - last < 100) return;
      last = now;
      pending();
      pending = undefined;
    },
    done() {
      pending?.();
      if (drawn) process.stderr.write('\n');
    },
  };
}
