import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { heldPrefix, piecePaths, piecesManifest, planLayers } from '../../../protocol/images/layer-plan.js';

const layer = (c: string): string => `sha256:${c.repeat(64)}`;
const [base, lib, app1, app2] = [layer('a'), layer('b'), layer('c'), layer('d')];

test('a node holding the previous version fetches only the layer that changed', () => {
  assert.equal(planLayers([base, lib, app2], [[base, lib, app1]]), { held: 2, fetch: [app2] });
});

test('a node holding nothing of it fetches every layer, a repeated one once', () => {
  assert.equal(planLayers([base, app1, app1], []), { held: 0, fetch: [base, app1] });
});

test('only a shared bottom counts: a layer held higher in another stack is fetched (docker load skips a layer by its chain)', () => {
  assert.is(heldPrefix([lib, app1], [[base, lib, app1]]), 0);
  assert.equal(planLayers([lib, app1], [[base, lib, app1]]), { held: 0, fetch: [lib, app1] });
});

test('the longest shared bottom among the held images wins, and an image held whole needs nothing', () => {
  assert.is(heldPrefix([base, lib, app1], [[base], [base, lib, app2], [app1]]), 2);
  assert.equal(planLayers([base, lib], [[base, lib, app1]]), { held: 2, fetch: [] });
});

test('the pieces archive lists every layer, held ones too, under paths of their digests, with no tags', () => {
  const id = layer('e');
  const manifest = JSON.parse(new TextDecoder().decode(piecesManifest(id, [base, app1])));
  assert.equal(manifest, [{ Config: `${'e'.repeat(64)}.json`, RepoTags: [], Layers: [`${'a'.repeat(64)}/layer.tar`, `${'c'.repeat(64)}/layer.tar`] }]);
  assert.equal(piecePaths(id, [base]).layerPaths, [`${'a'.repeat(64)}/layer.tar`]);
});

test.run();
