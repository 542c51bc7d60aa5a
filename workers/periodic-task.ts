/**
 * A pass run every `intervalMs` (0: never) and on demand, never two at once: a pass asked for while one runs
 * shares it. The timer does not keep the process alive; `stop` waits for the pass in progress.
 */
export class PeriodicTask<T> {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<T> | undefined;

  constructor(
    private readonly intervalMs: number,
    private readonly onError: (error: Error) => void,
  ) {}

  start(pass: () => Promise<T>): void {
    if (this.intervalMs <= 0 || this.timer) return;
    this.timer = setInterval(() => void this.run(pass).catch(this.onError), this.intervalMs);
    this.timer.unref();
  }

  run(pass: () => Promise<T>): Promise<T> {
    this.running ??= pass().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }
}
