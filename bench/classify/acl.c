/*
 * DPDK rte_acl timed pass by pass, for bench/classify/dpdk.ts.
 *
 *   acl-harness [EAL options] -- RULES TRACE ALG FAMILY WARMUP [BUILDS]
 *
 * Reads the same ClassBench files as dpdk-test-acl and sets rte_acl up the way
 * dpdk-test-acl does (the same field layouts, IPv4 5-tuple of 16 bytes and
 * IPv6 of 40 with the addresses as four 32-bit fields, rule n of the file at
 * priority RTE_ACL_MAX_PRIORITY - n, built for 3 categories and classified
 * for 1, 256 packets per rte_acl_classify call, the trace in rte_malloc
 * memory), so its passes are dpdk-test-acl's. What it adds: every pass is
 * timed on its own (CLOCK_MONOTONIC_RAW), so the bench takes the same
 * statistic on both sides (the median of the passes after a warm-up, the
 * first pass after the build apart), and the cold pass's results are checked
 * here against the trace's oracle column (the 1-based first matching rule).
 *
 * Builds (once untimed, then BUILDS times, default 1: "build_ns" is the
 * median of those, the statistic the bench takes of sgfilter's compile),
 * runs the cold pass (checked) and WARMUP passes, prints one per line
 * "build_ns N", "packets N", "check MISMATCHES FIRST GOT WANT", "cold_ns N",
 * "ready", then serves: each line K on stdin runs K timed passes and answers
 * "pass_ns N N ..." (so the bench can alternate DPDK's passes with
 * sgfilter's in small rounds, both under the same machine load); 0 or end of
 * input ends it. Exit 3 ("unavailable ALG") when the CPU lacks ALG.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_acl.h>
#include <rte_eal.h>
#include <rte_malloc.h>

#define STEP 256
#define V6_FIELDS 11

RTE_ACL_RULE_DEF(bench_rule, V6_FIELDS);

struct v4_tuple { uint8_t proto; uint32_t src; uint32_t dst; uint16_t sport; uint16_t dport; };
struct v6_tuple { uint8_t proto; uint32_t src[4]; uint32_t dst[4]; uint16_t sport; uint16_t dport; };

static void die(const char *what, const char *detail) {
	fprintf(stderr, "acl-harness: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
	exit(2);
}

static uint64_t now_ns(void) {
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC_RAW, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static struct rte_acl_field_def field_def(uint8_t type, uint8_t size, uint8_t field, uint8_t input, uint32_t offset) {
	struct rte_acl_field_def d;
	memset(&d, 0, sizeof d);
	d.type = type;
	d.size = size;
	d.field_index = field;
	d.input_index = input;
	d.offset = offset;
	return d;
}

/* The field layout of dpdk-test-acl: proto, addresses, then both ports in one input word. */
static unsigned field_defs(int v6, struct rte_acl_field_def *defs) {
	unsigned n = 0;
	if (!v6) {
		defs[n++] = field_def(RTE_ACL_FIELD_TYPE_BITMASK, 1, 0, 0, offsetof(struct v4_tuple, proto));
		defs[n++] = field_def(RTE_ACL_FIELD_TYPE_MASK, 4, 1, 2, offsetof(struct v4_tuple, src));
		defs[n++] = field_def(RTE_ACL_FIELD_TYPE_MASK, 4, 2, 3, offsetof(struct v4_tuple, dst));
		defs[n++] = field_def(RTE_ACL_FIELD_TYPE_RANGE, 2, 3, 4, offsetof(struct v4_tuple, sport));
		defs[n++] = field_def(RTE_ACL_FIELD_TYPE_RANGE, 2, 4, 4, offsetof(struct v4_tuple, dport));
		return n;
	}
	defs[n++] = field_def(RTE_ACL_FIELD_TYPE_BITMASK, 1, 0, 0, offsetof(struct v6_tuple, proto));
	for (unsigned w = 0; w < 4; w++, n++)
		defs[n] = field_def(RTE_ACL_FIELD_TYPE_MASK, 4, n, n, offsetof(struct v6_tuple, src) + 4 * w);
	for (unsigned w = 0; w < 4; w++, n++)
		defs[n] = field_def(RTE_ACL_FIELD_TYPE_MASK, 4, n, n, offsetof(struct v6_tuple, dst) + 4 * w);
	defs[n] = field_def(RTE_ACL_FIELD_TYPE_RANGE, 2, n, n, offsetof(struct v6_tuple, sport));
	n++;
	defs[n] = field_def(RTE_ACL_FIELD_TYPE_RANGE, 2, n, n - 1, offsetof(struct v6_tuple, dport));
	return n + 1;
}

/* An address/len into `words` fields (host order, the prefix bits of each word). */
static int put_prefix(int v6, const char *addr, unsigned len, struct rte_acl_field *f) {
	uint32_t w[4];
	if (inet_pton(v6 ? AF_INET6 : AF_INET, addr, w) != 1 || len > (v6 ? 128u : 32u)) return -1;
	for (unsigned i = 0; i < (v6 ? 4u : 1u); i++) {
		f[i].value.u32 = ntohl(w[i]);
		f[i].mask_range.u32 = len >= 32 * (i + 1) ? 32 : len > 32 * i ? len - 32 * i : 0;
	}
	return 0;
}

/* One pass over the trace as dpdk-test-acl makes it: STEP packets per call, the pointer array filled per call. */
static uint64_t run_pass(const struct rte_acl_ctx *ctx, const uint8_t *trace, size_t tsz, unsigned npk, uint32_t *res, const uint8_t **data) {
	uint64_t s0 = now_ns();
	const uint8_t *v = trace;
	for (unsigned i = 0; i < npk; i += STEP) {
		unsigned k = npk - i < STEP ? npk - i : STEP;
		for (unsigned j = 0; j < k; j++, v += tsz) data[j] = v;
		if (rte_acl_classify(ctx, data, res + i, k, 1) != 0) die("rte_acl_classify failed", NULL);
	}
	return now_ns() - s0;
}

int main(int argc, char **argv) {
	int eal = rte_eal_init(argc, argv);
	if (eal < 0) die("cannot initialise the EAL", NULL);
	argc -= eal;
	argv += eal;
	if (argc != 6 && argc != 7) die("usage: acl-harness [EAL options] -- RULES TRACE ALG FAMILY WARMUP [BUILDS]", NULL);
	const char *rules_file = argv[1], *trace_file = argv[2], *alg_name = argv[3];
	int v6 = strcmp(argv[4], "6") == 0;
	unsigned warmup = (unsigned)strtoul(argv[5], NULL, 10);
	unsigned builds = argc == 7 ? (unsigned)strtoul(argv[6], NULL, 10) : 1;
	if (builds < 1 || builds > 99) die("BUILDS must be 1-99", argv[6]);

	static const struct { const char *name; enum rte_acl_classify_alg alg; } algs[] = {
		{ "scalar", RTE_ACL_CLASSIFY_SCALAR }, { "sse", RTE_ACL_CLASSIFY_SSE }, { "avx2", RTE_ACL_CLASSIFY_AVX2 },
		{ "avx512x16", RTE_ACL_CLASSIFY_AVX512X16 }, { "avx512x32", RTE_ACL_CLASSIFY_AVX512X32 },
	};
	int alg = -1;
	for (unsigned i = 0; i < sizeof algs / sizeof algs[0]; i++) if (strcmp(alg_name, algs[i].name) == 0) alg = (int)i;
	if (alg < 0) die("unknown algorithm", alg_name);

	/* Rules: count lines first (the context's capacity), then add them one by one. */
	FILE *f = fopen(rules_file, "r");
	if (!f) die("cannot open", rules_file);
	char line[1024];
	unsigned nrules = 0;
	while (fgets(line, sizeof line, f)) if (line[0] == '@') nrules++;
	rewind(f);
	struct rte_acl_config cfg;
	memset(&cfg, 0, sizeof cfg);
	cfg.num_fields = field_defs(v6, cfg.defs);
	cfg.num_categories = 3;
	struct rte_acl_param prm = { .name = "sgfbench", .socket_id = SOCKET_ID_ANY, .rule_size = RTE_ACL_RULE_SZ(cfg.num_fields), .max_rule_num = nrules ? nrules : 1 };
	struct rte_acl_ctx *ctx = rte_acl_create(&prm);
	if (!ctx) die("rte_acl_create failed", NULL);
	if (rte_acl_set_ctx_classify(ctx, algs[alg].alg) != 0) {
		printf("unavailable %s\n", alg_name);
		return 3;
	}
	unsigned n = 0;
	while (fgets(line, sizeof line, f)) {
		if (line[0] != '@') continue;
		char sa[64], da[64];
		unsigned sl, dl, splo, sphi, dplo, dphi, proto, pmask;
		if (sscanf(line, "@%63[^/]/%u %63[^/]/%u %u : %u %u : %u %x/%x", sa, &sl, da, &dl, &splo, &sphi, &dplo, &dphi, &proto, &pmask) != 10)
			die("cannot read rule line", line);
		struct bench_rule r;
		memset(&r, 0, sizeof r);
		unsigned aw = v6 ? 4 : 1;
		if (put_prefix(v6, sa, sl, &r.field[1]) || put_prefix(v6, da, dl, &r.field[1 + aw])) die("bad address in rule", line);
		r.field[0].value.u8 = (uint8_t)proto;
		r.field[0].mask_range.u8 = (uint8_t)pmask;
		r.field[1 + 2 * aw].value.u16 = (uint16_t)splo;
		r.field[1 + 2 * aw].mask_range.u16 = (uint16_t)sphi;
		r.field[2 + 2 * aw].value.u16 = (uint16_t)dplo;
		r.field[2 + 2 * aw].mask_range.u16 = (uint16_t)dphi;
		n++;
		r.data.category_mask = RTE_LEN2MASK(RTE_ACL_MAX_CATEGORIES, uint32_t);
		r.data.priority = RTE_ACL_MAX_PRIORITY - (int32_t)n;
		r.data.userdata = n;
		if (rte_acl_add_rules(ctx, (const struct rte_acl_rule *)&r, 1) != 0) die("rte_acl_add_rules failed", line);
	}
	fclose(f);
	/* rte_acl_build frees the context's previous runtime structures and builds again from its rules. */
	uint64_t times[100];
	for (unsigned b = 0; b <= builds; b++) {
		uint64_t t0 = now_ns();
		int rc = rte_acl_build(ctx, &cfg);
		times[b] = now_ns() - t0;
		if (rc != 0) die("rte_acl_build failed", strerror(-rc));
	}
	/* The median of the timed builds (times[1..builds]); with one, the build after the untimed one. */
	for (unsigned i = 2; i <= builds; i++)
		for (unsigned j = i; j > 1 && times[j - 1] > times[j]; j--) {
			uint64_t x = times[j];
			times[j] = times[j - 1];
			times[j - 1] = x;
		}
	uint64_t build = builds % 2 ? times[1 + builds / 2] : (times[builds / 2] + times[1 + builds / 2]) / 2;

	/* The trace, in network byte order as dpdk-test-acl has it, and its oracle column. */
	f = fopen(trace_file, "r");
	if (!f) die("cannot open", trace_file);
	unsigned cap = 1024, npk = 0;
	size_t tsz = v6 ? sizeof(struct v6_tuple) : sizeof(struct v4_tuple);
	uint8_t *tuples = malloc(cap * tsz);
	uint32_t *want = malloc(cap * sizeof *want);
	while (fgets(line, sizeof line, f)) {
		char s[64], d[64];
		unsigned sp, dp, pr;
		int m = 0;
		if (line[0] == '#' || line[0] == '\n') continue;
		if (sscanf(line, "%63s %63s %u %u %u %d", s, d, &sp, &dp, &pr, &m) < 5) die("cannot read trace line", line);
		if (npk == cap) {
			cap *= 2;
			tuples = realloc(tuples, cap * tsz);
			want = realloc(want, cap * sizeof *want);
		}
		uint8_t *t = tuples + (size_t)npk * tsz;
		memset(t, 0, tsz);
		if (v6) {
			struct v6_tuple *x = (struct v6_tuple *)t;
			if (inet_pton(AF_INET6, s, x->src) != 1 || inet_pton(AF_INET6, d, x->dst) != 1) die("bad address in trace", line);
			x->proto = (uint8_t)pr;
			x->sport = htons((uint16_t)sp);
			x->dport = htons((uint16_t)dp);
		} else {
			struct v4_tuple *x = (struct v4_tuple *)t;
			x->src = htonl((uint32_t)strtoul(s, NULL, 10));
			x->dst = htonl((uint32_t)strtoul(d, NULL, 10));
			x->proto = (uint8_t)pr;
			x->sport = htons((uint16_t)sp);
			x->dport = htons((uint16_t)dp);
		}
		want[npk++] = (uint32_t)m;
	}
	fclose(f);
	uint8_t *trace = rte_zmalloc("sgfbench_trace", (size_t)npk * tsz + 64, RTE_CACHE_LINE_SIZE);
	uint32_t *res = rte_zmalloc("sgfbench_res", (size_t)npk * sizeof *res + 64, RTE_CACHE_LINE_SIZE);
	if (!trace || !res) die("out of memory", NULL);
	memcpy(trace, tuples, (size_t)npk * tsz);
	free(tuples);

	printf("build_ns %" PRIu64 "\npackets %u\n", build, npk);
	const uint8_t *data[STEP];
	for (unsigned p = 0; p < 1 + warmup; p++) {
		uint64_t dt = run_pass(ctx, trace, tsz, npk, res, data);
		if (p == 0) {
			unsigned bad = 0, first = 0;
			for (unsigned i = 0; i < npk; i++) if (res[i] != want[i] && bad++ == 0) first = i;
			printf("check %u %u %u %u\n", bad, first, bad ? res[first] : 0, bad ? want[first] : 0);
			printf("cold_ns %" PRIu64 "\n", dt);
		}
	}
	printf("ready\n");
	fflush(stdout);
	/* Server: each line K on stdin runs K timed passes and prints their times; 0 or EOF ends. */
	while (fgets(line, sizeof line, stdin)) {
		unsigned k = (unsigned)strtoul(line, NULL, 10);
		if (k == 0) break;
		uint64_t *times = malloc(k * sizeof *times);
		if (!times) die("out of memory", NULL);
		for (unsigned p = 0; p < k; p++) times[p] = run_pass(ctx, trace, tsz, npk, res, data);
		printf("pass_ns");
		for (unsigned p = 0; p < k; p++) printf(" %" PRIu64, times[p]);
		printf("\n");
		fflush(stdout);
		free(times);
	}
	rte_acl_free(ctx);
	rte_eal_cleanup();
	return 0;
}
