import Dockerode from 'dockerode';

const PING_TIMEOUT_MS = 3_000;

/**
 * The Docker engine for tests (DOCKER_HOST, else the default socket), or null where none
 * answers. With SHOAL_REQUIRE_DOCKER=1 (CI sets it) a missing engine throws instead: a
 * Docker test must not quietly skip there.
 */
export async function dockerOrSkip(): Promise<Dockerode | null> {
  try {
    // Only the ping gets a timeout: a socket that accepts and never answers must not hang
    // the tier, while the tests' own calls (wait, logs) may rightly take long.
    await new Dockerode({ timeout: PING_TIMEOUT_MS }).ping();
    return new Dockerode();
  } catch (e) {
    if (process.env.SHOAL_REQUIRE_DOCKER === '1') {
      throw new Error(
        `SHOAL_REQUIRE_DOCKER=1 but no Docker engine answers at ${process.env.DOCKER_HOST ?? '/var/run/docker.sock'} ` + `(${(e as Error).message}); run scripts/ensure-docker.sh`,
      );
    }
    return null;
  }
}
