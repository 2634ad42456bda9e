/** Each simulation test runs from a fixed seed, or from SHOAL_SIM_SEED to replay a failure. */
export function simSeed(fallback: number): number {
  const fromEnv = process.env.SHOAL_SIM_SEED;
  return fromEnv === undefined ? fallback : Number(fromEnv);
}
