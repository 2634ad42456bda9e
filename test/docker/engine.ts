import Dockerode from 'dockerode';

/**
 * The Docker engine for tests, or null where none answers. With SHOAL_REQUIRE_DOCKER=1
 * (CI sets it) a missing engine throws instead: a Docker test must not quietly skip there.
 */
export async function dockerOrSkip(): Promise<Dockerode | null> {
  const docker = new Dockerode();
  try {
    await Promise.race([
      docker.ping(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('no answer in 3 s')), 3_000).unref()),
    ]);
    return docker;
  } catch (e) {
    if (process.env.SHOAL_REQUIRE_DOCKER === '1') {
      throw new Error(`SHOAL_REQUIRE_DOCKER=1 but no Docker engine answers (${(e as Error).message}); run scripts/ensure-docker.sh`);
    }
    return null;
  }
}
