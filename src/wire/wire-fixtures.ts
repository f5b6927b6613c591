/**
 * Fixtures for the wire tests only: a cluster, key rings and a decode context. Not used by production code.
 */
import type { AuthKey, KeyRing } from '../config/model.js';
import { linkName, nodeName, type Message } from '../core/types.js';
import type { DecodeContext, EncodeInput } from './codec.js';

export const CLUSTER = 'prod-db';
export const NODES = ['alpha', 'beta', 'gamma'] as const;

export function key(id: number, secretText = `secret-${id}`): AuthKey {
  return { id, secret: Buffer.from(secretText, 'utf8') };
}

export function ring(ids: readonly number[], sendKeyId: number): KeyRing {
  return { keys: ids.map((id) => key(id)), sendKeyId };
}

export const RING: KeyRing = ring([1], 1);

export function context(overrides: Partial<DecodeContext> = {}): DecodeContext {
  return {
    cluster: CLUSTER,
    isKnownNode: (name) => (NODES as readonly string[]).includes(name),
    ring: RING,
    ...overrides,
  };
}

export function input(overrides: Partial<EncodeInput> = {}): EncodeInput {
  return {
    cluster: CLUSTER,
    sender: nodeName('alpha'),
    link: linkName('lan'),
    generation: 7,
    seq: 42,
    sentAtWallMs: 1_760_000_000_123,
    ...overrides,
  };
}

export const HEARTBEAT: Message = { type: 'heartbeat', configDigest: 'c0ffee12', uptimeMs: 93_000 };
export const LEAVE: Message = { type: 'leave', reason: 'operator ran tandem leave: kernel upgrade' };
