import { StreamState, YamuxStream } from '@chainsafe/libp2p-yamux/stream';
import { logger } from '@libp2p/logger';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Uint8ArrayList } from 'uint8arraylist';

// patches/@chainsafe+libp2p-yamux+8.0.1.patch: window updates as go-yamux sends them.

const DATA = 0;
const WINDOW_UPDATE = 1;
const SYN = 1;
const ACK = 2;
const WINDOW = 256 * 1024;

interface SentFrame {
  type: number;
  flag: number;
  length: number;
}

function stream(state: StreamState): { stream: YamuxStream; sent: SentFrame[] } {
  const sent: SentFrame[] = [];
  const created = new YamuxStream({
    id: '1',
    streamId: 1,
    state,
    direction: 'inbound',
    log: logger('test:yamux'),
    // No round trip measured: the window never grows, so the sizes below are exact.
    getRTT: () => -1,
    sendFrame: (header: SentFrame) => {
      sent.push({ type: header.type, flag: header.flag, length: header.length });
      return true;
    },
  });
  return { stream: created, sent };
}

const dataFrame = (length: number, flag = 0) => ({ header: { type: DATA, flag, streamID: 1, length }, data: new Uint8ArrayList(new Uint8Array(length)) });

test('a stream sends no window update for small frames, one when half its window is used', () => {
  const { stream: s, sent } = stream(StreamState.Established);
  for (let i = 0; i < 100; i++) s.handleData(dataFrame(100));
  assert.equal(sent, [], 'a hundred frames of 100 bytes: no update (the unpatched stream sent one each)');
  const half = WINDOW / 2 - 100 * 100;
  s.handleData(dataFrame(half));
  assert.equal(sent, [{ type: WINDOW_UPDATE, flag: 0, length: WINDOW / 2 }], 'half the window used: it is given back at once');
  s.handleData(dataFrame(100));
  assert.is(sent.length, 1, 'and the count starts over');
});

test('an ACK goes out with the first frame of a stream the remote opened, whatever the window', () => {
  const { stream: s, sent } = stream(StreamState.SYNReceived);
  s.handleData(dataFrame(10, SYN));
  assert.equal(sent, [{ type: WINDOW_UPDATE, flag: ACK, length: 10 }]);
});

test.run();
