export { swimConfig, type SwimConfig, type SwimPreset } from './config.js';
export { decode, encode, type CodecLimits, type DecodeError, type DecodeErrorCode } from './codec.js';
export { MemberDirectory } from './directory.js';
export type { Effect, MemberChange, MemberEvent, Timer } from './effects.js';
export * from './formulas.js';
export { SwimMachine, type SwimMachineOptions } from './machine.js';
export { isReachableState, type Capacity, type Incarnation, type MemberId, type MemberRecord, type MemberState, type MemberView } from './member.js';
export { SWIM_WIRE_VERSION, type SwimMessage, type SyncEntry, type Update } from './messages.js';
export { eventOnWallClock, viewOnWallClock } from './wall-time.js';
