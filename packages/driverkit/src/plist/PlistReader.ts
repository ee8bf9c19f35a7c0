import { IOReturnError } from '../IOReturn/IOReturnError';
import { kIOReturnBadArgument, kIOReturnUnsupported } from '../IOReturn/IOReturn';
import { OSArray } from '../os/OSArray';
import { OSBoolean } from '../os/OSBoolean';
import { OSData } from '../os/OSData';
import { OSDictionary } from '../os/OSDictionary';
import { OSNumber, type OSNumberBits } from '../os/OSNumber';
import type { OSObject } from '../os/OSObject';
import { OSSet } from '../os/OSSet';
import { OSString } from '../os/OSString';

interface Tag {
  name: string;
  closing: boolean;
  selfClosing: boolean;
  attributes: Record<string, string>;
  offset: number;
}

const TAG = /<(\/?)([A-Za-z_][\w.:-]*)((?:\s+[\w:.-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/y;
const ATTRIBUTE = /([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;
const ENTITY = /&(?:#x([0-9a-fA-F]+)|#([0-9]+)|(lt|gt|amp|quot|apos));/g;
const BAD_AMPERSAND = /&(?!(?:#x[0-9a-fA-F]+|#[0-9]+|lt|gt|amp|quot|apos);)/;
const NAMED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const MAX_DEPTH = 256;

/**
 * Reads one XML property list into OS* objects. It accepts what Apple writes: CoreFoundation's
 * plists (Info.plist, .entitlements, `ioreg -a`) and the kernel's serialization (`<set>`, the `ID` /
 * `IDREF` attributes for shared objects, `size` on `<integer>`, hex integers). Errors are
 * IOReturnErrors naming the line and column.
 */
export class PlistReader {
  readonly #text: string;
  #pos = 0;
  readonly #ids = new Map<string, OSObject>();

  constructor(text: string) {
    this.#text = text;
  }

  /** Parses the whole document: prolog, `<plist>` (optional, as the kernel allows), one value. */
  parse(): OSObject {
    this.#skipMisc();
    let tag = this.#tag();
    const wrapped = tag.name === 'plist' && !tag.closing;
    if (wrapped) {
      if (tag.selfClosing) this.#fail(tag.offset, '<plist/> holds no value');
      this.#skipMisc();
      tag = this.#tag();
    }
    const value = this.#value(tag, 0);
    this.#skipMisc();
    if (wrapped) {
      const close = this.#tag();
      if (close.name !== 'plist' || !close.closing) this.#fail(close.offset, `expected </plist>, found <${close.closing ? '/' : ''}${close.name}>`);
      this.#skipMisc();
    }
    if (this.#pos < this.#text.length) this.#fail(this.#pos, 'content after the property list');
    return value;
  }

  #value(tag: Tag, depth: number): OSObject {
    if (tag.closing) this.#fail(tag.offset, `unexpected </${tag.name}>`);
    if (depth > MAX_DEPTH) this.#fail(tag.offset, `nesting deeper than ${MAX_DEPTH} levels`);
    const idref = tag.attributes.IDREF;
    if (idref !== undefined) {
      const shared = this.#ids.get(idref);
      if (!shared) this.#fail(tag.offset, `IDREF="${idref}" names no earlier ID`);
      if (!tag.selfClosing) this.#close(tag);
      return shared.retain();
    }
    const o = this.#build(tag, depth);
    const id = tag.attributes.ID;
    if (id !== undefined) this.#ids.set(id, o);
    return o;
  }

  #build(tag: Tag, depth: number): OSObject {
    switch (tag.name) {
      case 'dict': {
        const d = OSDictionary.withCapacity();
        if (tag.selfClosing) return d;
        for (;;) {
          this.#skipMisc();
          const k = this.#tag();
          if (k.closing && k.name === 'dict') return d;
          if (k.name !== 'key' || k.closing) this.#fail(k.offset, `expected <key> or </dict> in a dictionary, found <${k.closing ? '/' : ''}${k.name}>`);
          const key = k.selfClosing ? '' : this.#textUntilClose(k);
          this.#skipMisc();
          const v = this.#tag();
          if (v.closing) this.#fail(v.offset, `the key "${key}" has no value`);
          d.adoptObject(key, this.#value(v, depth + 1));
        }
      }
      case 'array':
      case 'set': {
        const c = tag.name === 'array' ? OSArray.withCapacity() : OSSet.withCapacity();
        if (tag.selfClosing) return c;
        for (;;) {
          this.#skipMisc();
          const t = this.#tag();
          if (t.closing && t.name === tag.name) return c;
          c.adoptObject(this.#value(t, depth + 1));
        }
      }
      case 'string':
        return OSString.withCString(tag.selfClosing ? '' : this.#textUntilClose(tag));
      case 'integer':
        return this.#integer(tag);
      case 'real': {
        const s = tag.selfClosing ? '' : this.#textUntilClose(tag).trim();
        const lower = s.toLowerCase();
        const v = lower === 'nan' ? NaN : lower === '+infinity' || lower === 'inf' ? Infinity : lower === '-infinity' || lower === '-inf' ? -Infinity : Number(s);
        if (s === '' || (Number.isNaN(v) && lower !== 'nan')) this.#fail(tag.offset, `<real>${s}</real> is not a number`);
        return OSNumber.withDouble(v);
      }
      case 'true':
      case 'false':
        if (!tag.selfClosing) this.#close(tag);
        return OSBoolean.withBoolean(tag.name === 'true');
      case 'data': {
        const s = tag.selfClosing ? '' : this.#textUntilClose(tag).replace(/\s+/g, '');
        if (!BASE64.test(s) || s.length % 4 === 1) this.#fail(tag.offset, '<data> is not valid base64');
        return OSData.withBytesNoCopy(new Uint8Array(Buffer.from(s, 'base64')));
      }
      case 'date':
        return this.#fail(tag.offset, '<date> has no OS* type (the kernel refuses it too)', kIOReturnUnsupported);
      default:
        return this.#fail(tag.offset, `<${tag.name}> is not a property-list element`);
    }
  }

  #integer(tag: Tag): OSNumber {
    const s = tag.selfClosing ? '' : this.#textUntilClose(tag).trim();
    const m = /^([+-]?)(0x[0-9a-fA-F]+|[0-9]+)$/.exec(s);
    if (!m) this.#fail(tag.offset, `<integer>${s}</integer> is not an integer`);
    let v = BigInt(m[2]!);
    if (m[1] === '-') v = -v;
    const size = tag.attributes.size;
    let bits: OSNumberBits = 64;
    if (size !== undefined) {
      if (size !== '8' && size !== '16' && size !== '32' && size !== '64') this.#fail(tag.offset, `size="${size}" is not 8, 16, 32 or 64`);
      bits = Number(size) as OSNumberBits;
    }
    // Unsigned 64-bit values above 2^63 are legal in plists (CoreFoundation writes them unsigned).
    const limit = 1n << BigInt(bits);
    if (v >= limit || v < -(limit >> 1n)) this.#fail(tag.offset, `${s} does not fit in ${bits} bits`);
    return OSNumber.withNumber(v, bits);
  }

  #textUntilClose(open: Tag): string {
    const text = this.#text;
    let out = '';
    for (;;) {
      const lt = text.indexOf('<', this.#pos);
      if (lt < 0) this.#fail(open.offset, `<${open.name}> is never closed`);
      out += this.#decodeEntities(text.slice(this.#pos, lt), this.#pos);
      this.#pos = lt;
      if (text.startsWith('<![CDATA[', lt)) {
        const endCdata = text.indexOf(']]>', lt);
        if (endCdata < 0) this.#fail(lt, 'a CDATA section is never closed');
        out += text.slice(lt + 9, endCdata);
        this.#pos = endCdata + 3;
        continue;
      }
      if (text.startsWith('<!--', lt)) {
        this.#skipComment();
        continue;
      }
      this.#close(open);
      return out;
    }
  }

  #close(open: Tag): void {
    const t = this.#tag();
    if (!t.closing || t.name !== open.name) this.#fail(t.offset, `expected </${open.name}>, found <${t.closing ? '/' : ''}${t.name}>`);
  }

  #decodeEntities(s: string, offset: number): string {
    if (!s.includes('&')) return s;
    if (BAD_AMPERSAND.test(s)) this.#fail(offset, 'an unescaped "&" or an unknown entity');
    return s.replace(ENTITY, (_m, hex: string | undefined, dec: string | undefined, name: string | undefined) => {
      if (name) return NAMED[name]!;
      const cp = parseInt((hex ?? dec)!, hex ? 16 : 10);
      if (cp > 0x10ffff) this.#fail(offset, `the character reference &#${hex ? 'x' + hex : dec}; is beyond Unicode`);
      return String.fromCodePoint(cp);
    });
  }

  #tag(): Tag {
    const offset = this.#pos;
    TAG.lastIndex = offset;
    const m = TAG.exec(this.#text);
    if (!m) {
      if (offset >= this.#text.length) this.#fail(offset, 'the document ends early');
      this.#fail(offset, `expected a tag, found ${JSON.stringify(this.#text.slice(offset, offset + 20))}`);
    }
    this.#pos = TAG.lastIndex;
    const attributes: Record<string, string> = {};
    if (m[3]) for (const a of m[3].matchAll(ATTRIBUTE)) attributes[a[1]!] = a[2] ?? a[3] ?? '';
    return { name: m[2]!, closing: m[1] === '/', selfClosing: m[4] === '/', attributes, offset };
  }

  /** Skips white space, the XML declaration, processing instructions, DOCTYPE and comments. */
  #skipMisc(): void {
    const text = this.#text;
    for (;;) {
      while (this.#pos < text.length && /\s|\uFEFF/.test(text[this.#pos]!)) this.#pos++;
      if (text.startsWith('<?', this.#pos)) {
        const e = text.indexOf('?>', this.#pos);
        if (e < 0) this.#fail(this.#pos, 'a processing instruction is never closed');
        this.#pos = e + 2;
      } else if (text.startsWith('<!--', this.#pos)) {
        this.#skipComment();
      } else if (text.startsWith('<!DOCTYPE', this.#pos)) {
        const e = text.indexOf('>', this.#pos);
        if (e < 0) this.#fail(this.#pos, 'the DOCTYPE is never closed');
        this.#pos = e + 1;
      } else {
        return;
      }
    }
  }

  #skipComment(): void {
    const e = this.#text.indexOf('-->', this.#pos);
    if (e < 0) this.#fail(this.#pos, 'a comment is never closed');
    this.#pos = e + 3;
  }

  #fail(offset: number, message: string, code = kIOReturnBadArgument): never {
    const before = this.#text.slice(0, offset);
    const line = before.split('\n').length;
    const column = offset - before.lastIndexOf('\n');
    throw new IOReturnError(code, `property list, line ${line} column ${column}: ${message}`, { offset });
  }
}
