import type Dockerode from 'dockerode';
import { setTimeout as delay } from 'node:timers/promises';
import type { Testnet } from '../testnet.js';
import { takeSample } from './observe.js';
import { convergedAt, convergedFor, type Sample } from './timeline.js';

const PERIOD_MS = 500;
/** Converged for this many samples in a row (1.5 s) counts as settled: one lucky sample does not. */
const SETTLED_SAMPLES = 3;
/** Samples waiting at once: a silent node holds each up to OBSERVE_TIMEOUT_MS (5 s), and one still starts every period. */
const MAX_IN_FLIGHT = 10;

/** Samples the testnet every half second, from `start` until `stop`, so windows and convergence can be read afterwards. */
export class Sampler {
  readonly samples: Sample[] = [];
  private readonly stopping = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(
    private readonly testnet: Testnet,
    private readonly docker: Dockerode,
  ) {}

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<Sample[]> {
    this.stopping.abort();
    await this.loop;
    return this.samples;
  }

  /**
   * Waits until the samples since `fromMs` have settled, at most `boundMs`; resolves with
   * the time convergence began, or null if the bound passed first.
   */
  async settled(fromMs: number, boundMs: number): Promise<number | null> {
    const deadline = fromMs + boundMs;
    while (convergedFor(this.samples, fromMs) < SETTLED_SAMPLES && Date.now() < deadline) await delay(PERIOD_MS / 2);
    return convergedFor(this.samples, fromMs) >= SETTLED_SAMPLES ? convergedAt(this.samples, fromMs) : null;
  }

  /**
   * A sample starts every period even while earlier ones wait on a silent node or a busy
   * engine, so the record keeps its resolution; samples are kept in the order they began.
   */
  private async run(): Promise<void> {
    const inFlight = new Set<Promise<void>>();
    while (!this.stopping.signal.aborted) {
      const next = Date.now() + PERIOD_MS;
      if (inFlight.size < MAX_IN_FLIGHT) {
        // A failed sample (the engine busy) is a gap in the record, not the end of it.
        const sampling = takeSample(this.testnet, this.docker).then(
          (s) => this.insert(s),
          () => undefined,
        );
        inFlight.add(sampling);
        void sampling.finally(() => inFlight.delete(sampling));
      }
      await delay(Math.max(0, next - Date.now()), undefined, { signal: this.stopping.signal }).catch(() => undefined);
    }
    await Promise.all(inFlight);
  }

  private insert(sample: Sample): void {
    let i = this.samples.length;
    while (i > 0 && (this.samples[i - 1] as Sample).atMs > sample.atMs) i--;
    this.samples.splice(i, 0, sample);
  }
}
