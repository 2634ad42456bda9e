import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type DockerFrame, DockerFrames, demuxFrames } from '../../../node/agent/docker-frames.js';
import { OutputTail } from '../../../node/agent/output-tail.js';
import { execBeside, fileLogs } from '../../../node/agent/process-streams.js';

const frame = (stream: number, payload: string): Buffer => {
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(Buffer.byteLength(payload), 4);
  return Buffer.concat([header, Buffer.from(payload)]);
};

async function framesOf(chunks: Buffer[]): Promise<DockerFrame[]> {
  const out: DockerFrame[] = [];
  for await (const f of Readable.from(chunks).pipe(new DockerFrames())) out.push(f as DockerFrame);
  return out;
}

test('the engine frames come out whole and in order, however the chunks cut them', async () => {
  const raw = Buffer.concat([frame(1, 'out one\n'), frame(2, 'err\n'), frame(1, ''), frame(1, 'out two\n')]);
  for (const cut of [1, 3, 8, 9, 15, raw.length]) {
    const chunks: Buffer[] = [];
    for (let at = 0; at < raw.length; at += cut) chunks.push(raw.subarray(at, at + cut));
    const frames = await framesOf(chunks);
    assert.equal(
      frames.map((f) => [f.stderr, f.payload.toString()]),
      [
        [false, 'out one\n'],
        [true, 'err\n'],
        [false, 'out two\n'],
      ],
      `cut every ${cut} bytes`,
    );
  }
  assert.equal(demuxFrames(raw), { stdout: Buffer.from('out one\nout two\n'), stderr: Buffer.from('err\n') });
});

test("a chunk of 200,000 one-byte frames (a command printing a byte at a time) is read in a loop: docker-modem's demuxStream recursed once a frame", async () => {
  const frames = await framesOf([Buffer.concat(Array.from({ length: 200_000 }, () => frame(1, 'x')))]);
  assert.is(frames.length, 200_000);
});

test('an output tail keeps the last bytes only, however they came', () => {
  const tail = new OutputTail(10);
  for (const piece of ['abc', 'defghij', 'klmnopqrstu', 'vw', 'xyz']) tail.push(Buffer.from(piece));
  assert.is(tail.text(), 'qrstuvwxyz');
  const short = new OutputTail(10);
  short.push(Buffer.from('hi'));
  assert.is(short.text(), 'hi');
});

test("a process exec that prints 10 MB keeps the last 256 KiB of it; a process replica's log streams in pieces and its tail is counted across them", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'shoal-output-'));
  try {
    const result = await execBeside(['sh', '-c', 'head -c 10000000 /dev/zero; echo end; echo oops >&2'], dir, { PATH: process.env.PATH ?? '' }, 60_000);
    assert.is(result.exitCode, 0);
    assert.is(result.stdout.length, 256 * 1024);
    assert.ok(result.stdout.endsWith('\0end\n'));
    assert.is(result.stderr, 'oops\n');

    const file = join(dir, 'output.log');
    const lines = Array.from({ length: 50_000 }, (_, i) => `line ${i}`);
    writeFileSync(file, `${lines.join('\n')}\n`);
    const read = async (tail?: number): Promise<{ text: string; pieces: number }> => {
      const chunks: Buffer[] = [];
      for await (const chunk of fileLogs(file, { follow: false, signal: AbortSignal.timeout(10_000), ...(tail === undefined ? {} : { tail }) })) chunks.push(Buffer.from(chunk));
      return { text: Buffer.concat(chunks).toString(), pieces: chunks.length };
    };
    const all = await read();
    assert.is(all.text, `${lines.join('\n')}\n`);
    assert.ok(all.pieces > 1, `the log came in ${all.pieces} pieces`);
    // 20,000 lines reach back over several 64 KiB pieces.
    assert.is((await read(20_000)).text, `${lines.slice(30_000).join('\n')}\n`);
    assert.is((await read(1)).text, 'line 49999\n');
    assert.is((await read(0)).text, '');
    assert.is((await read(60_000)).text, all.text);
    writeFileSync(file, 'no newline at the end\nlast');
    assert.is((await read(1)).text, 'last');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
