import fc from 'fast-check';
import { test } from 'uvu';
import { heldPrefix, planLayers } from '../../protocol/images/layer-plan.js';

/** Layer ids from a small alphabet, so stacks share bottoms and repeat layers often. */
const layer = fc.constantFrom('a', 'b', 'c', 'd').map((c) => `sha256:${c.repeat(64)}`);
const stack = fc.array(layer, { maxLength: 6 });

test('what a plan leaves out is a bottom some held image starts with, and what it fetches is every other layer, once', () => {
  fc.assert(
    fc.property(stack, fc.array(stack, { maxLength: 4 }), (image, held) => {
      const plan = planLayers(image, held);
      const bottom = image.slice(0, plan.held);
      // Docker skips a layer only by its chain: the left-out bottom is some held image's own bottom.
      const shared = plan.held === 0 || held.some((h) => bottom.every((l, i) => h[i] === l));
      const rest = new Set(image.slice(plan.held));
      return shared && plan.fetch.length === rest.size && plan.fetch.every((l) => rest.has(l)) && new Set(plan.fetch).size === plan.fetch.length;
    }),
  );
});

test('no held image shares a longer bottom than the one left out, and more held images never leave out less', () => {
  fc.assert(
    fc.property(stack, fc.array(stack, { maxLength: 4 }), stack, (image, held, more) => {
      const count = heldPrefix(image, held);
      const longer = held.some((h) => count < image.length && count < h.length && image.slice(0, count + 1).every((l, i) => h[i] === l));
      return !longer && heldPrefix(image, [...held, more]) >= count;
    }),
  );
});

test.run();
