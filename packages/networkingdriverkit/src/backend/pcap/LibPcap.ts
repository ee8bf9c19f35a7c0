import { createRequire } from 'node:module';
import { IOReturnError, kIOReturnNoDevice, kIOReturnNotPermitted, kIOReturnUnsupported } from '@driverkit/driverkit';

type Fn = (...args: unknown[]) => unknown;

/** The libpcap calls the pcap port uses, bound through koffi (Debian's libpcap0.8: nothing compiles). @internal */
export interface LibPcap {
  create: Fn;
  setSnaplen: Fn;
  setPromisc: Fn;
  setTimeout: Fn;
  setImmediateMode: Fn;
  activate: Fn;
  setNonblock: Fn;
  setDirection: Fn;
  selectableFd: Fn;
  compile: Fn;
  setFilter: Fn;
  freeCode: Fn;
  nextEx: Fn;
  inject: Fn;
  stats: Fn;
  geterr: Fn;
  statusToStr: Fn;
  close: Fn;
  memcpy: Fn;
}

let lib: LibPcap | null = null;
let failure: string | null = null;

/**
 * libpcap, loaded once. The `pcap` npm package was the first choice, but it is a node-gyp addon:
 * installing it needs libpcap-dev and a C++ toolchain on every machine (here its build stopped at
 * `pcap/pcap.h: No such file or directory`). Binding the shared library through koffi, as the core
 * binds libc, gives the same calls (live capture, BPF filters, inject, statistics) with nothing to compile.
 */
export function libpcap(): LibPcap {
  if (lib) return lib;
  if (failure) throw new IOReturnError(kIOReturnUnsupported, failure);
  try {
    const koffi = createRequire(import.meta.url)('koffi');
    const so = koffi.load('libpcap.so.0.8');
    const c = koffi.load('libc.so.6');
    koffi.opaque('pcap_t');
    koffi.struct('bpf_program', { bf_len: 'uint32_t', bf_insns: 'void *' });
    lib = {
      create: so.func('pcap_t *pcap_create(const char *source, _Out_ uint8_t *errbuf)'),
      setSnaplen: so.func('int pcap_set_snaplen(pcap_t *p, int snaplen)'),
      setPromisc: so.func('int pcap_set_promisc(pcap_t *p, int promisc)'),
      setTimeout: so.func('int pcap_set_timeout(pcap_t *p, int ms)'),
      setImmediateMode: so.func('int pcap_set_immediate_mode(pcap_t *p, int immediate)'),
      activate: so.func('int pcap_activate(pcap_t *p)'),
      setNonblock: so.func('int pcap_setnonblock(pcap_t *p, int nonblock, _Out_ uint8_t *errbuf)'),
      setDirection: so.func('int pcap_setdirection(pcap_t *p, int d)'),
      selectableFd: so.func('int pcap_get_selectable_fd(pcap_t *p)'),
      compile: so.func('int pcap_compile(pcap_t *p, _Out_ bpf_program *fp, const char *str, int optimize, uint32_t netmask)'),
      setFilter: so.func('int pcap_setfilter(pcap_t *p, bpf_program *fp)'),
      freeCode: so.func('void pcap_freecode(bpf_program *fp)'),
      // The header and data pointers come back as addresses, into reused arrays: no object per frame.
      nextEx: so.func('int pcap_next_ex(pcap_t *p, _Out_ uint64_t *header, _Out_ uint64_t *data)'),
      inject: so.func('int pcap_inject(pcap_t *p, void *buf, size_t size)'),
      stats: so.func('int pcap_stats(pcap_t *p, _Out_ uint32_t *stats)'),
      geterr: so.func('const char *pcap_geterr(pcap_t *p)'),
      statusToStr: so.func('const char *pcap_statustostr(int error)'),
      close: so.func('void pcap_close(pcap_t *p)'),
      memcpy: c.func('void *memcpy(void *dst, void *src, size_t n)'),
    };
    return lib;
  } catch (e) {
    failure = `libpcap is not available (${(e as Error).message}); install Debian's libpcap0.8 (scripts/setup.sh does)`;
    throw new IOReturnError(kIOReturnUnsupported, failure, { cause: e });
  }
}

/** The error libpcap reported for `status` on `p`, as an IOReturnError naming the interface. @internal */
export function pcapError(l: LibPcap, p: unknown, what: string, status: number): IOReturnError {
  const text = status === -1 || status === -3 ? String(l.geterr(p)) : String(l.statusToStr(status));
  // PCAP_ERROR_NO_SUCH_DEVICE -5, PCAP_ERROR_PERM_DENIED -8, PCAP_ERROR_IFACE_NOT_UP -9.
  const code = status === -5 ? kIOReturnNoDevice : status === -8 ? kIOReturnNotPermitted : kIOReturnUnsupported;
  return new IOReturnError(code, `${what}: ${text}`, { osError: status });
}
