import type Dockerode from 'dockerode';

interface ProgressEvent {
  error?: string;
  stream?: string;
}

/**
 * Waits for an import or build to finish. Once the engine has begun to stream progress,
 * a failure arrives inside the stream, not as an HTTP status; `what` names it in the error.
 */
export async function followProgress(docker: Dockerode, stream: NodeJS.ReadableStream, what: string): Promise<ProgressEvent[]> {
  const events = await new Promise<ProgressEvent[]>((resolve, reject) =>
    docker.modem.followProgress(stream, (e: Error | null, out: ProgressEvent[]) => (e ? reject(e) : resolve(out))),
  );
  const failure = events.find((p) => p.error !== undefined);
  if (failure) {
    const output = events
      .map((p) => p.stream ?? '')
      .join('')
      .trim()
      .split('\n')
      .slice(-10)
      .join('\n');
    throw new Error(`${what} failed: ${failure.error}${output ? `\n${output}` : ''}`);
  }
  return events;
}

/** `repo:tag` split as the engine's import and build options want it. */
export function splitTag(tag: string): { repo: string; tag: string } {
  const colon = tag.lastIndexOf(':');
  return colon > tag.lastIndexOf('/') ? { repo: tag.slice(0, colon), tag: tag.slice(colon + 1) } : { repo: tag, tag: 'latest' };
}

export async function hasImage(docker: Dockerode, tag: string): Promise<boolean> {
  return (await docker.listImages({ filters: { reference: [tag] } })).length > 0;
}
