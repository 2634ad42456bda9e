import { setImmediate as turn } from 'node:timers/promises';
import { pino } from 'pino';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { publicKeyOfPeerId } from '../../../base/peer-id.js';
import { Admission, type AdmissionOptions } from '../../../node/admission.js';

const SELF = '12D3KooWS7r46Mg2VhXtpB7AggyYefJvEDufveSXTK2FztAuvUNE';
const JOINER = '12D3KooWNhTBTsAjYEVUy3jNEBJR1FVyZtUZJ9zsWvHSzpeSHeSH';

function setup() {
  let passes = 0;
  const writes: unknown[] = [];
  const members = [SELF, JOINER].map((id) => ({ state: 'alive', record: { id } }));
  const options = {
    swim: {
      id: SELF,
      members: () => {
        passes++;
        return members;
      },
    },
    state: { replica: { isAdmittedNode: (key: string) => key === publicKeyOfPeerId(SELF), isRevoked: () => false } },
    writer: {
      write: async (ops: unknown) => {
        writes.push(ops);
        return true;
      },
    },
    log: pino({ level: 'silent' }),
    intervalMs: 60_000,
    graceMs: 0,
    clock: { nowMs: () => 0 },
  } as unknown as AdmissionOptions;
  return { admission: new Admission(options), passes: () => passes, writes };
}

test('the joins one message brings are looked at once, after the turn: a pass walks every member', async () => {
  const { admission, passes, writes } = setup();
  for (let i = 0; i < 5_000; i++) admission.kick();
  assert.is(passes(), 0, 'not within the turn that brought them');
  await turn();
  assert.is(passes(), 1);
  assert.is(writes.length, 1, 'the joiner admitted once');
  admission.kick();
  admission.stop();
  await turn();
  assert.is(passes(), 1, 'nothing after stop');
});

test.run();
