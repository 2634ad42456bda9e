/**
 * `run` once the current event-loop turn ends, however often the returned function is
 * called within it: what one turn brings (the joins of one message, a burst of merges) is
 * looked at together.
 */
export function onceATurn(run: () => void): () => void {
  let due = false;
  return () => {
    if (due) return;
    due = true;
    setImmediate(() => {
      due = false;
      run();
    });
  };
}
