// A module resolution hook (node:module register), loaded by ./register.mjs.
const wrapper = new URL('./uvu.mjs', import.meta.url).href;

/** `uvu` names the wrapper for every importer (uvu's own runner too) but the wrapper, which needs the real one. */
export async function resolve(specifier, context, nextResolve) {
  return specifier === 'uvu' && context.parentURL !== wrapper ? { url: wrapper, shortCircuit: true } : nextResolve(specifier, context);
}
