/*
 * The native baseline for the replay benchmark: the essential work of a
 * stateful security-group replay, in plain C, on the same capture and the
 * same rule lists as sgfilter, so the bench can report sgfilter / native
 * measured in one run.
 *
 * Per packet: read the pcap record, parse Ethernet (802.1Q / QinQ), IPv4 or
 * IPv6 (one fragment header skipped), TCP/UDP ports or the ICMP type and
 * code; look both addresses up in an address -> interface hash; for each hop
 * (egress at the sender's interface, ingress at the receiver's) look the flow
 * up in a conntrack hash keyed by (interface, protocol, canonical tuple),
 * ageing entries by the packets' own timestamps; on a miss, the first match
 * in the interface's ordered rule list (linear), and a new entry on allow.
 *
 * What it leaves out, on purpose (the bench says so): the TCP state machine
 * (one idle timeout per protocol), related ICMP errors, fragment memory, the
 * intra-group rule, decision records. It is a throughput peer, not an oracle:
 * its verdict counts are printed beside sgfilter's, not asserted equal.
 *
 * Input: a rule file written by bench/harness/native.ts (format below) and a
 * classic pcap file (Ethernet, micro- or nanosecond timestamps).
 *
 *   sgfilter-native RULES CAPTURE [--mode mem|read] [--passes K] [--warmup W] [--capacity N]
 *                  [--threads T] [--split lane|pre]
 *
 * Threads (T > 1): each thread has its own conntrack table and judges the
 * packets of its shards only, a shard being a symmetric hash of the flow's
 * canonical tuple modulo T (so a flow's both directions meet in one table,
 * as sgfilter's lanes split the state). `--split lane` (the default): every
 * thread walks every packet (its own read() of the file in read mode),
 * parses it and skips the other threads' ones: what sgfilter's workers do.
 * `--split pre` (capture in memory only): the packets are handed out to the
 * threads before the clock starts, each thread judging a list of its own:
 * the ceiling of any split that shares one decoded capture.
 *
 * The same source builds for WebAssembly (clang --target=wasm32-wasi, a WASI
 * libc; bench/harness/native.ts buildNativeWasm) and runs under Node's V8
 * through node:wasi (bench/native/wasi-run.ts): the same algorithm in the
 * runtime sgfilter's engine runs in. That build has no threads (--threads 1).
 *
 * Output: one JSON object on stdout:
 *   {"mode":"mem","threads":T,"split":"lane","packets":N,"allow":A,"deny":D,"full":F,"passes":[s,...],"cold":s}
 * (seconds per counted pass, threads started and joined inside it; `cold`
 * is the first, uncounted pass).
 *
 * Rule file (text, one record per line):
 *   sgfilter-native 1
 *   ifaces N
 *   timeouts IFACE TCP UDP ICMP OTHER        (seconds)
 *   addr IFACE HEX32                          (address, 16 bytes; IPv4 as ::ffff:a.b.c.d)
 *   list IFACE DIR DEFAULT COUNT              (DIR 0 ingress 1 egress; DEFAULT 0 deny 1 allow)
 *   r ACTION PROTO FAMILY DLO DHI SLO SHI REMOTE_HEX32 RPREFIX LOCAL_HEX32 LPREFIX
 *      (ACTION 0 deny 1 allow; PROTO -1 = all; FAMILY 0 any, 4, 6; prefixes over the 128-bit form)
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#ifndef __wasi__
#include <pthread.h>
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct { uint64_t hi, lo; } addr128;

typedef struct {
  uint8_t action;
  int16_t proto;
  uint8_t family;
  uint16_t dlo, dhi, slo, shi;
  addr128 remote, rmask;
  addr128 local, lmask;
} rule_t;

typedef struct {
  rule_t *rules;
  uint32_t n;
  uint8_t dflt;
} list_t;

typedef struct {
  uint64_t timeout_ns[4]; /* tcp, udp, icmp, other */
  list_t lists[2];        /* ingress, egress */
} iface_t;

/* conntrack entry: 64 bytes, 64-byte aligned */
typedef struct {
  addr128 a, b;      /* canonical: (a, pa) <= (b, pb) */
  uint16_t pa, pb;
  uint32_t iface;    /* 0 = empty slot, else iface + 1 */
  uint8_t proto;
  uint8_t pad[7];
  uint64_t expires;
  uint64_t pad2;
} __attribute__((aligned(64))) ct_t;

typedef struct {
  addr128 key;
  int32_t iface; /* -1 = empty */
  int32_t pad;
} amap_t;

static iface_t *ifaces;
static uint32_t n_ifaces;
static amap_t *amap;
static uint32_t amap_mask;

/* One thread's state: its conntrack table, its tally, its share. */
typedef struct { uint64_t packets, allow, deny; } tally_t;
typedef struct {
  ct_t *ct;
  uint64_t ct_mask;
  uint64_t n_full;
  tally_t t;
  uint32_t tid, nt;
  /* --split pre: the offsets (from the capture's first record) of this thread's records */
  uint64_t *own;
  size_t n_own;
} ctx_t;

static void die(const char *what, const char *detail) {
  fprintf(stderr, "sgfilter-native: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
  exit(2);
}

static uint64_t hex64(const char *s) {
  uint64_t v = 0;
  for (int i = 0; i < 16; i++) {
    char c = s[i];
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0) die("bad hex address in the rule file", s);
    v = (v << 4) | (uint64_t)d;
  }
  return v;
}

static addr128 parse_addr(const char *s) {
  if (strlen(s) != 32) die("an address in the rule file is not 32 hex digits", s);
  addr128 a = {hex64(s), hex64(s + 16)};
  return a;
}

static addr128 prefix_mask(int p) {
  addr128 m = {0, 0};
  if (p <= 0) return m;
  if (p >= 128) { m.hi = m.lo = ~0ULL; return m; }
  if (p <= 64) { m.hi = p == 64 ? ~0ULL : ~0ULL << (64 - p); return m; }
  m.hi = ~0ULL;
  m.lo = ~0ULL << (128 - p);
  return m;
}

static inline uint64_t mix64(uint64_t x) {
  x ^= x >> 33; x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33; x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

static void amap_put(addr128 k, int32_t iface) {
  uint32_t i = (uint32_t)mix64(k.hi ^ (k.lo * 0x9e3779b97f4a7c15ULL)) & amap_mask;
  while (amap[i].iface >= 0 && !(amap[i].key.hi == k.hi && amap[i].key.lo == k.lo)) i = (i + 1) & amap_mask;
  amap[i].key = k;
  amap[i].iface = iface;
}

static inline int32_t amap_get(addr128 k) {
  uint32_t i = (uint32_t)mix64(k.hi ^ (k.lo * 0x9e3779b97f4a7c15ULL)) & amap_mask;
  for (;;) {
    if (amap[i].iface < 0) return -1;
    if (amap[i].key.hi == k.hi && amap[i].key.lo == k.lo) return amap[i].iface;
    i = (i + 1) & amap_mask;
  }
}

static void load_rules(const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) die(path, strerror(errno));
  char tag[32];
  int version;
  if (fscanf(f, "%31s %d", tag, &version) != 2 || strcmp(tag, "sgfilter-native") || version != 1) die(path, "not a sgfilter-native rule file (version 1)");
  if (fscanf(f, "%31s %u", tag, &n_ifaces) != 2 || strcmp(tag, "ifaces")) die(path, "expected 'ifaces N'");
  ifaces = calloc(n_ifaces ? n_ifaces : 1, sizeof *ifaces);
  uint32_t cap = 1024;
  while (cap < n_ifaces * 16u) cap <<= 1;
  amap = malloc(cap * sizeof *amap);
  amap_mask = cap - 1;
  for (uint32_t i = 0; i < cap; i++) amap[i].iface = -1;
  char a[64], b[64];
  while (fscanf(f, "%31s", tag) == 1) {
    if (!strcmp(tag, "timeouts")) {
      uint32_t i; double t[4];
      if (fscanf(f, "%u %lf %lf %lf %lf", &i, &t[0], &t[1], &t[2], &t[3]) != 5 || i >= n_ifaces) die(path, "bad 'timeouts' line");
      for (int k = 0; k < 4; k++) ifaces[i].timeout_ns[k] = (uint64_t)(t[k] * 1e9);
    } else if (!strcmp(tag, "addr")) {
      uint32_t i;
      if (fscanf(f, "%u %63s", &i, a) != 2 || i >= n_ifaces) die(path, "bad 'addr' line");
      amap_put(parse_addr(a), (int32_t)i);
    } else if (!strcmp(tag, "list")) {
      uint32_t i, dir, dflt, n;
      if (fscanf(f, "%u %u %u %u", &i, &dir, &dflt, &n) != 4 || i >= n_ifaces || dir > 1) die(path, "bad 'list' line");
      list_t *l = &ifaces[i].lists[dir];
      l->rules = calloc(n ? n : 1, sizeof(rule_t));
      l->n = n;
      l->dflt = (uint8_t)dflt;
      for (uint32_t k = 0; k < n; k++) {
        rule_t *r = &l->rules[k];
        int action, proto, family, dlo, dhi, slo, shi, rp, lp;
        if (fscanf(f, "%31s %d %d %d %d %d %d %d %63s %d %63s %d", tag, &action, &proto, &family, &dlo, &dhi, &slo, &shi, a, &rp, b, &lp) != 12 || strcmp(tag, "r")) die(path, "bad 'r' line");
        r->action = (uint8_t)action; r->proto = (int16_t)proto; r->family = (uint8_t)family;
        r->dlo = (uint16_t)dlo; r->dhi = (uint16_t)dhi; r->slo = (uint16_t)slo; r->shi = (uint16_t)shi;
        r->rmask = prefix_mask(rp); r->remote = parse_addr(a);
        r->remote.hi &= r->rmask.hi; r->remote.lo &= r->rmask.lo;
        r->lmask = prefix_mask(lp); r->local = parse_addr(b);
        r->local.hi &= r->lmask.hi; r->local.lo &= r->lmask.lo;
      }
    } else {
      die(path, "unknown record");
    }
  }
  fclose(f);
}

typedef struct {
  addr128 src, dst;
  uint16_t sport, dport;
  uint8_t proto, family;
  uint64_t ts;
} pkt_t;

static inline uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint64_t be64(const uint8_t *p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return __builtin_bswap64(v);
}

/* Parses one Ethernet frame; returns 0 when it is not IP (or too short). */
static inline int parse(const uint8_t *p, uint32_t len, pkt_t *k) {
  if (len < 14) return 0;
  uint16_t type = be16(p + 12);
  uint32_t off = 14;
  while ((type == 0x8100 || type == 0x88a8) && off + 4 <= len) {
    type = be16(p + off + 2);
    off += 4;
  }
  uint32_t l4;
  int first = 1;
  if (type == 0x0800) {
    if (off + 20 > len) return 0;
    const uint8_t *h = p + off;
    uint32_t ihl = (uint32_t)(h[0] & 15) * 4;
    k->family = 4;
    k->proto = h[9];
    k->src.hi = 0; k->src.lo = 0xffff00000000ULL | ((uint64_t)h[12] << 24 | (uint64_t)h[13] << 16 | (uint64_t)h[14] << 8 | h[15]);
    k->dst.hi = 0; k->dst.lo = 0xffff00000000ULL | ((uint64_t)h[16] << 24 | (uint64_t)h[17] << 16 | (uint64_t)h[18] << 8 | h[19]);
    first = (be16(h + 6) & 0x1fff) == 0;
    l4 = off + ihl;
  } else if (type == 0x86dd) {
    if (off + 40 > len) return 0;
    const uint8_t *h = p + off;
    k->family = 6;
    k->proto = h[6];
    k->src.hi = be64(h + 8); k->src.lo = be64(h + 16);
    k->dst.hi = be64(h + 24); k->dst.lo = be64(h + 32);
    l4 = off + 40;
    if (k->proto == 44 && l4 + 8 <= len) {
      first = (be16(p + l4 + 2) & 0xfff8) == 0;
      k->proto = p[l4];
      l4 += 8;
    }
  } else {
    return 0;
  }
  k->sport = k->dport = 0;
  if (first && l4 + 4 <= len) {
    if (k->proto == 6 || k->proto == 17) {
      k->sport = be16(p + l4);
      k->dport = be16(p + l4 + 2);
    } else if (k->proto == 1 || k->proto == 58) {
      k->sport = p[l4];     /* type */
      k->dport = p[l4 + 1]; /* code */
    }
  }
  return 1;
}

static inline int in_cidr(addr128 a, addr128 net, addr128 mask) {
  return (a.hi & mask.hi) == net.hi && (a.lo & mask.lo) == net.lo;
}

static inline int first_match(const list_t *l, const pkt_t *k, addr128 remote, addr128 local, uint16_t rport, uint16_t lport) {
  for (uint32_t i = 0; i < l->n; i++) {
    const rule_t *r = &l->rules[i];
    if (r->proto >= 0 && r->proto != k->proto) continue;
    if (r->family && r->family != k->family) continue;
    if (lport < r->dlo || lport > r->dhi) continue;
    if (rport < r->slo || rport > r->shi) continue;
    if (!in_cidr(remote, r->remote, r->rmask)) continue;
    if (!in_cidr(local, r->local, r->lmask)) continue;
    return r->action;
  }
  return l->dflt;
}

static inline int tmo_class(uint8_t proto) {
  return proto == 6 ? 0 : proto == 17 ? 1 : (proto == 1 || proto == 58) ? 2 : 3;
}

/* The flow's canonical tuple: the endpoints (address, port) in order, smaller first.
   ICMP: type/code are not a tuple; echo flows are keyed by protocol alone. */
static inline void canonical(const pkt_t *k, addr128 *a, uint16_t *pa, addr128 *b, uint16_t *pb) {
  uint16_t ps = k->sport, pd = k->dport;
  if (k->proto == 1 || k->proto == 58) ps = pd = 0;
  if (k->src.hi > k->dst.hi || (k->src.hi == k->dst.hi && (k->src.lo > k->dst.lo || (k->src.lo == k->dst.lo && ps > pd)))) {
    *a = k->dst; *pa = pd; *b = k->src; *pb = ps;
  } else {
    *a = k->src; *pa = ps; *b = k->dst; *pb = pd;
  }
}

/* One hop: 1 allow, 0 deny. */
static inline int hop(ctx_t *c, uint32_t iface, int dir, const pkt_t *k) {
  const int ingress = dir == 0;
  addr128 remote = ingress ? k->src : k->dst, local = ingress ? k->dst : k->src;
  uint16_t rport = ingress ? k->sport : k->dport, lport = ingress ? k->dport : k->sport;
  addr128 a, b;
  uint16_t pa, pb;
  canonical(k, &a, &pa, &b, &pb);
  uint64_t h = mix64(a.hi ^ mix64(a.lo ^ mix64(b.hi ^ mix64(b.lo ^ ((uint64_t)pa << 32 | (uint64_t)pb << 16 | (uint64_t)k->proto << 8) ^ ((uint64_t)iface << 40)))));
  ct_t *const ct = c->ct;
  const uint64_t ct_mask = c->ct_mask;
  uint64_t i = h & ct_mask;
  const iface_t *f = &ifaces[iface];
  const uint64_t tmo = f->timeout_ns[tmo_class(k->proto)];
  ct_t *slot = NULL;
  for (uint64_t probes = 0; probes <= ct_mask; probes++, i = (i + 1) & ct_mask) {
    ct_t *e = &ct[i];
    if (e->iface == 0) { slot = e; break; }
    if (e->iface == iface + 1 && e->proto == k->proto && e->pa == pa && e->pb == pb && e->a.hi == a.hi && e->a.lo == a.lo && e->b.hi == b.hi && e->b.lo == b.lo) {
      if (k->ts <= e->expires) { e->expires = k->ts + tmo; return 1; }
      slot = e; /* expired: judge again, reuse the slot */
      break;
    }
  }
  int allow = first_match(&f->lists[dir], k, remote, local, rport, lport);
  if (allow) {
    if (!slot) { c->n_full++; return 0; }
    slot->a = a; slot->b = b; slot->pa = pa; slot->pb = pb; slot->iface = iface + 1; slot->proto = k->proto;
    slot->expires = k->ts + tmo;
  }
  return allow;
}

static int nanos;

/* The thread (of nt) whose shard holds the packet's flow: a hash of the canonical tuple, the same both ways. */
static inline uint32_t shard_of(const pkt_t *k, uint32_t nt) {
  addr128 a, b;
  uint16_t pa, pb;
  canonical(k, &a, &pa, &b, &pb);
  uint64_t h = mix64(a.hi ^ mix64(a.lo ^ mix64(b.hi ^ mix64(b.lo ^ ((uint64_t)pa << 32 | (uint64_t)pb << 16 | (uint64_t)k->proto << 8)))));
  return (uint32_t)((h >> 32) % nt);
}

/* Judges one parsed record (both hops) into the thread's tally. */
static inline void judge_one(ctx_t *c, const uint8_t *rec) {
  uint32_t sec, frac, caplen;
  memcpy(&sec, rec, 4);
  memcpy(&frac, rec + 4, 4);
  memcpy(&caplen, rec + 8, 4);
  pkt_t k;
  tally_t *t = &c->t;
  if (!parse(rec + 16, caplen, &k)) {
    if (c->tid == 0) { t->packets++; t->allow++; } /* non-IP: not a security-group matter (counted once) */
    return;
  }
  if (c->nt > 1 && shard_of(&k, c->nt) != c->tid) return; /* another thread's packet */
  t->packets++;
  k.ts = (uint64_t)sec * 1000000000ULL + (nanos ? frac : (uint64_t)frac * 1000ULL);
  int32_t si = amap_get(k.src), di = amap_get(k.dst);
  int ok = 1;
  if (si >= 0) ok = hop(c, (uint32_t)si, 1, &k);
  if (ok && di >= 0) ok = hop(c, (uint32_t)di, 0, &k);
  if (ok) t->allow++; else t->deny++;
}

/* Judges every whole record in buf[0..n); returns the bytes consumed. */
static size_t judge(ctx_t *c, const uint8_t *buf, size_t n) {
  size_t off = 0;
  while (off + 16 <= n) {
    uint32_t caplen;
    memcpy(&caplen, buf + off + 8, 4);
    if (off + 16 + caplen > n) break;
    judge_one(c, buf + off);
    off += 16 + caplen;
  }
  return off;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* What a pass runs on. */
static const char *capture_path;
static off_t capture_size;
static const uint8_t *capture_mem; /* mem mode: the whole file */
static int read_mode;
static size_t read_chunk = 1 << 20;

/* read mode: the thread reads the file itself (as each sgfilter lane does) into a buffer of its own */
static void judge_file(ctx_t *c) {
  int fd = open(capture_path, O_RDONLY);
  if (fd < 0) die(capture_path, strerror(errno));
  uint8_t *buf = malloc(read_chunk + 65536 + 16);
  if (!buf) die("out of memory for the read buffer", NULL);
  off_t pos = 24;
  size_t have = 0;
  for (;;) {
    ssize_t r = pread(fd, buf + have, read_chunk, pos);
    if (r < 0) die(capture_path, strerror(errno));
    if (r == 0) break;
    pos += r;
    have += (size_t)r;
    size_t used = judge(c, buf, have);
    if (used == 0 && have > 65536 + 16) die(capture_path, "a record longer than 64 KiB");
    memmove(buf, buf + used, have - used);
    have -= used;
  }
  free(buf);
  close(fd);
}

static void *run_pass(void *arg) {
  ctx_t *c = arg;
  if (c->own) {
    const uint8_t *base = capture_mem + 24;
    for (size_t i = 0; i < c->n_own; i++) judge_one(c, base + c->own[i]);
  } else if (read_mode) {
    judge_file(c);
  } else {
    judge(c, capture_mem + 24, (size_t)capture_size - 24);
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 3) die("usage: sgfilter-native RULES CAPTURE [--mode mem|read] [--passes K] [--warmup W] [--capacity N] [--threads T] [--split lane|pre]", NULL);
  const char *mode = "mem", *split = "lane";
  int passes = 5, warmup = 1, threads = 1;
  uint64_t capacity = 1 << 18;
  for (int i = 3; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--mode")) mode = argv[i + 1];
    else if (!strcmp(argv[i], "--passes")) passes = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--warmup")) warmup = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--capacity")) capacity = strtoull(argv[i + 1], NULL, 10);
    else if (!strcmp(argv[i], "--threads")) threads = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--split")) split = argv[i + 1];
    else die("unknown option", argv[i]);
  }
  if (strcmp(mode, "mem") && strcmp(mode, "read")) die("--mode must be mem or read", mode);
  if (strcmp(split, "lane") && strcmp(split, "pre")) die("--split must be lane or pre", split);
  if (!strcmp(split, "pre") && strcmp(mode, "mem")) die("--split pre hands out the packets of a capture in memory: use --mode mem", NULL);
  if (passes < 1 || passes > 1000 || warmup < 0 || warmup > 100) die("--passes 1-1000, --warmup 0-100", NULL);
  if (threads < 1 || threads > 64) die("--threads 1-64", NULL);
#ifdef __wasi__
  if (threads > 1) die("--threads above 1 needs pthreads, which this WebAssembly (WASI) build has not", NULL);
#endif
  read_mode = !strcmp(mode, "read");
  uint64_t cap = 1024;
  while (cap < capacity) cap <<= 1;
  ctx_t *ctx = calloc((size_t)threads, sizeof *ctx);
  for (int t = 0; t < threads; t++) {
    ctx[t].ct_mask = cap - 1;
    ctx[t].ct = aligned_alloc(64, cap * sizeof(ct_t));
    if (!ctx[t].ct) die("out of memory for the conntrack table", NULL);
    ctx[t].tid = (uint32_t)t;
    ctx[t].nt = (uint32_t)threads;
  }
  load_rules(argv[1]);

  capture_path = argv[2];
  int fd = open(argv[2], O_RDONLY);
  if (fd < 0) die(argv[2], strerror(errno));
  uint8_t gh[24];
  if (read(fd, gh, 24) != 24) die(argv[2], "shorter than a pcap header");
  uint32_t magic, linktype;
  memcpy(&magic, gh, 4);
  memcpy(&linktype, gh + 20, 4);
  if (magic == 0xa1b2c3d4) nanos = 0;
  else if (magic == 0xa1b23c4d) nanos = 1;
  else die(argv[2], "not a little-endian classic pcap file");
  if ((linktype & 0xffff) != 1) die(argv[2], "link type is not Ethernet");
  capture_size = lseek(fd, 0, SEEK_END);
  if (!read_mode) {
    uint8_t *mem = malloc((size_t)capture_size);
    if (!mem || pread(fd, mem, (size_t)capture_size, 0) != capture_size) die(argv[2], "could not read the capture into memory");
    capture_mem = mem;
  }
  close(fd);
  if (!strcmp(split, "pre") && threads > 1) {
    /* hand the records out by shard (non-IP ones to thread 0), before any pass */
    const uint8_t *base = capture_mem + 24;
    size_t n = (size_t)capture_size - 24, count = 0;
    for (size_t off = 0; off + 16 <= n;) {
      uint32_t caplen;
      memcpy(&caplen, base + off + 8, 4);
      if (off + 16 + caplen > n) break;
      count++;
      off += 16 + caplen;
    }
    for (int t = 0; t < threads; t++) {
      ctx[t].own = malloc((count ? count : 1) * sizeof(uint64_t));
      if (!ctx[t].own) die("out of memory for the threads' record lists", NULL);
    }
    for (size_t off = 0; off + 16 <= n;) {
      uint32_t caplen;
      memcpy(&caplen, base + off + 8, 4);
      if (off + 16 + caplen > n) break;
      pkt_t k;
      uint32_t t = parse(base + off + 16, caplen, &k) ? shard_of(&k, (uint32_t)threads) : 0;
      ctx[t].own[ctx[t].n_own++] = off;
      off += 16 + caplen;
    }
    for (int t = 0; t < threads; t++) ctx[t].nt = 1; /* the list is the thread's own: no shard test */
    /* thread 0 counts the non-IP records; the others own none */
  }
  double *secs = calloc((size_t)(passes + warmup), sizeof(double));
#ifndef __wasi__
  pthread_t *tids = calloc((size_t)threads, sizeof *tids);
#endif
  tally_t t = {0, 0, 0};
  uint64_t n_full = 0;
  for (int p = 0; p < passes + warmup; p++) {
    for (int k = 0; k < threads; k++) {
      memset(ctx[k].ct, 0, cap * sizeof(ct_t));
      ctx[k].n_full = 0;
      ctx[k].t = (tally_t){0, 0, 0};
    }
    double t0 = now();
    if (threads == 1) {
      run_pass(&ctx[0]);
    } else {
#ifndef __wasi__
      for (int k = 0; k < threads; k++)
        if (pthread_create(&tids[k], NULL, run_pass, &ctx[k])) die("could not start a thread", NULL);
      for (int k = 0; k < threads; k++) pthread_join(tids[k], NULL);
#endif
    }
    secs[p] = now() - t0;
    t = (tally_t){0, 0, 0};
    n_full = 0;
    for (int k = 0; k < threads; k++) {
      t.packets += ctx[k].t.packets;
      t.allow += ctx[k].t.allow;
      t.deny += ctx[k].t.deny;
      n_full += ctx[k].n_full;
    }
  }
  printf("{\"mode\":\"%s\",\"threads\":%d,\"split\":\"%s\",\"packets\":%llu,\"allow\":%llu,\"deny\":%llu,\"full\":%llu,\"cold\":%.9f,\"passes\":[", mode, threads, split,
         (unsigned long long)t.packets, (unsigned long long)t.allow, (unsigned long long)t.deny, (unsigned long long)n_full, secs[0]);
  for (int p = warmup; p < passes + warmup; p++) printf("%s%.9f", p > warmup ? "," : "", secs[p]);
  printf("]}\n");
  return 0;
}
