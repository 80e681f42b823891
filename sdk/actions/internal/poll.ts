import { toXmarginError } from "../../contract-errors.ts";
import type { XmarginError } from "../../errors.ts";

/**
 * Runs `tick` now and then every `interval` ms after the previous run finished, until the returned function
 * is called. A failing tick is reported to `onError` (as an XmarginError) and the polling goes on.
 */
export function poll(
  tick: () => Promise<void>,
  interval: number,
  onError: ((error: XmarginError) => void) | undefined,
  operation: string,
): () => void {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const run = async () => {
    try {
      await tick();
    } catch (error) {
      if (!stopped) onError?.(toXmarginError(error, operation));
    }
    if (!stopped) timer = setTimeout(run, interval);
  };
  void run();
  return () => {
    stopped = true;
    if (timer !== undefined) clearTimeout(timer);
  };
}
