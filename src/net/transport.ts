/**
 * A transport carries opaque datagrams for one link (one medium: an interface/address per node).
 * It knows nothing of tandem's protocol, so later media (serial, raw VRRP) fit the same interface.
 */
import type { LinkName } from '../core/types.js';

export interface Datagram {
  readonly bytes: Buffer;
  /** Source as the kernel saw it, for logs; authentication never relies on it. */
  readonly source: string;
}

export interface Transport {
  readonly link: LinkName;
  /** A short description for status: "udp-unicast 192.0.2.11:694". */
  readonly description: string;
  /** Sends to every peer on the link. Errors are reported through `onError`, never thrown. */
  send(bytes: Buffer): void;
  close(): Promise<void>;
}

export interface TransportHandlers {
  onDatagram(link: LinkName, datagram: Datagram): void;
  onError(link: LinkName, error: Error): void;
}
