/** Fails a channel when nothing has arrived from the peer for a while, but only while something waits on the peer. */
export class IdleClock {
  private lastActivity = performance.now();
  private timer: NodeJS.Timeout | null = null;

  /**
   * `timeoutMs` 0 disables it. `isWaiting` says whether an operation still waits on the peer when the time is
   * up; `onIdle` is called once if one does and nothing arrived for `timeoutMs`.
   */
  constructor(
    private readonly timeoutMs: number,
    private readonly isWaiting: () => boolean,
    private readonly onIdle: (idleMs: number) => void,
  ) {}

  /** Something arrived from the peer. */
  touch(): void {
    this.lastActivity = performance.now();
  }

  /** Starts the clock if it is not running; it counts from now or the last arrival, whichever is later. */
  arm(): void {
    if (this.timeoutMs <= 0 || this.timer !== null) return;
    this.lastActivity = performance.now();
    this.schedule(this.timeoutMs);
  }

  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      if (!this.isWaiting()) return;
      const idleFor = performance.now() - this.lastActivity;
      if (idleFor >= this.timeoutMs) this.onIdle(this.timeoutMs);
      else this.schedule(this.timeoutMs - idleFor + 1);
    }, delayMs);
    // A forgotten channel must not hold the process open; a live socket or port keeps the loop alive anyway.
    this.timer.unref();
  }
}
