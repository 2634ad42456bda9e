/**
 * How long each step of a node's start took, in milliseconds: the "shoal node started"
 * record carries them, so a start that took long says where its time went (a restarted
 * node in the fault suite once took 40 s from its state to its API).
 */
export class StartSteps {
  /** The first, "program": from the process's start (performance's time origin) to startNode, loading the code and reading the command line. */
  readonly ms: Record<string, number> = { program: Math.round(performance.now()) };
  private last = performance.now();

  /** The step that ends now, timed from the end of the one before. */
  done(step: string): void {
    const now = performance.now();
    this.ms[step] = Math.round(now - this.last);
    this.last = now;
  }
}
