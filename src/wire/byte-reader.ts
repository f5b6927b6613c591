/**
 * Bounds-checked reading of a binary payload, shared by the packet codec and the report codec.
 */
import { isUtf8 } from 'node:buffer';

/** Bounds-checked reads over one buffer; every read returns undefined past the end instead of throwing. */
export class Reader {
  at = 0;
  constructor(private readonly bytes: Buffer) {}

  get remaining(): number {
    return this.bytes.length - this.at;
  }

  u8(): number | undefined {
    if (this.remaining < 1) return undefined;
    return this.bytes[this.at++];
  }

  u16(): number | undefined {
    if (this.remaining < 2) return undefined;
    const value = this.bytes.readUInt16BE(this.at);
    this.at += 2;
    return value;
  }

  u32(): number | undefined {
    if (this.remaining < 4) return undefined;
    const value = this.bytes.readUInt32BE(this.at);
    this.at += 4;
    return value;
  }

  f64(): number | undefined {
    if (this.remaining < 8) return undefined;
    const value = this.bytes.readDoubleBE(this.at);
    this.at += 8;
    return value;
  }

  slice(length: number): Buffer | undefined {
    if (this.remaining < length) return undefined;
    const view = this.bytes.subarray(this.at, this.at + length);
    this.at += length;
    return view;
  }

  /** A length-prefixed UTF-8 string, or a sentence saying what is wrong with it. */
  text(prefix: 'u8' | 'u16', bytesMin: number, bytesMax: number, what: string): { value: string } | string {
    const length = prefix === 'u8' ? this.u8() : this.u16();
    if (length === undefined) return `truncated before the length of ${what}`;
    if (length < bytesMin || length > bytesMax) {
      return `${what} is ${length} bytes, allowed ${bytesMin}..${bytesMax}`;
    }
    const raw = this.slice(length);
    if (raw === undefined) return `truncated inside ${what}`;
    if (!isUtf8(raw)) return `${what} is not valid UTF-8`;
    return { value: raw.toString('utf8') };
  }
}
