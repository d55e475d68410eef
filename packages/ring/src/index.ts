/**
 * @hurdle/ring: challenge and token state on N independent Redis servers, placed by
 * consistent hashing over ZooKeeper-registered node ids, with replica writes and
 * instant read failover.
 */
export { RING_ERROR_CODES, RingError, isRingError } from './errors.js';
export type { RingErrorCode } from './errors.js';
export { createHashRing } from './hash-ring.js';
export type { HashRing, HashRingMember, HashRingOptions } from './hash-ring.js';
export { createStaticMembership } from './membership.js';
export type {
  Membership, MembershipListener, RingNodeInfo, RingNodeInput, StaticMembership,
} from './membership.js';
export { createZooKeeperMembership } from './zookeeper-membership.js';
export type { ZooKeeperMembership, ZooKeeperMembershipOptions } from './zookeeper-membership.js';
export { createRing } from './ring.js';
export type {
  Ring, RingCommandEvent, RingConnection, RingFailoverEvent, RingHooks, RingNodeState, RingNodeStateEvent,
  RingNodeStatus, RingOp, RingOptions, Ttl,
} from './ring.js';
export { CONSUMED } from './redis-node.js';
export { startRingAgent } from './ring-agent.js';
export type { RingAgent, RingAgentEvent, RingAgentOptions } from './ring-agent.js';
