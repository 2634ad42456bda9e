export { bidFor, compareBids, isBid, isDeferral, winner, type Bid, type Decline, type DeclineReason } from './bid.js';
export type { Candidate, Constraint, Demand, SchedulingPolicy } from './candidate.js';
export { heardOut, isClosed, type AuctionProgress } from './close.js';
export { checkFeasibility, type Feasibility, type RejectReason } from './filters/index.js';
export { ReservationLedger } from './reservations.js';
export { addResources, fitsWithin, freeOf, NO_RESOURCES, type Resources } from './resources.js';
export { score, type SpreadContext } from './scores/index.js';
export { auctionId, slotKey, tiebreak, type Slot } from './slot.js';
