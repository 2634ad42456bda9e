/**
 * The most any one frame from the network may hold: an API body, a gossip message, an
 * anti-entropy frame, a stream message. One bound rather than one per decoder, so a
 * value one path accepts always fits through the others (a delta gossiped is a delta
 * anti-entropy can carry); larger transfers go in several frames. A receiver holds at
 * most this much of a peer's input before it can refuse it.
 */
export const MAX_FRAME_BYTES = 256 * 1024;

/**
 * Arrays and objects nested deeper than this are refused before JSON.parse. No message
 * nests more than a dozen levels, and the validators that walk a parsed value (zod's
 * recursive schemas, canonical JSON) recurse once per level: a few thousand levels,
 * which fit easily in a frame, overflow the stack.
 */
export const MAX_NESTING_DEPTH = 32;
