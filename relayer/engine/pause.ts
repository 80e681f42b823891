/**
 * A loop's pause between rounds that news can end early. An aborted AbortSignal was used for this before, but
 * every abort builds a DOMException with a stack trace, and a watcher is woken on every new block (hundreds
 * of times a second under load, over chains and operators).
 */
export class WakeablePause {
  private woken = false;
  private endSleep: (() => void) | undefined;

  /** Forgets earlier news: called when a round starts, since the round sees everything that came before it. */
  arm(): void {
    this.woken = false;
  }

  /** News came: the current pause ends now; if none is running, the next one (until `arm`) is skipped. */
  wake(): void {
    this.woken = true;
    this.endSleep?.();
  }

  /** Waits `ms`, less if `stop` aborts or, when `wakeable`, if news came since `arm`. */
  sleep(ms: number, stop: AbortSignal, wakeable = true): Promise<void> {
    if (stop.aborted || (wakeable && this.woken)) return Promise.resolve();
    return new Promise((resolve) => {
      const end = () => {
        clearTimeout(timer);
        stop.removeEventListener("abort", end);
        if (this.endSleep === end) this.endSleep = undefined;
        resolve();
      };
      const timer = setTimeout(end, ms);
      stop.addEventListener("abort", end, { once: true });
      if (wakeable) this.endSleep = end;
    });
  }
}
