/* SPDX-License-Identifier: MIT */
/*
 * bench_job.c - parser for fio job files and fio-style command lines.
 *
 * zhtp-bench runs fio recipes unchanged for the part of fio it implements. This file turns a job
 * file or an argv into fully resolved struct zh_bench_job values. Anything it does not support is
 * refused with a one-line message naming the source, line and option; nothing is ignored.
 *
 * Design notes:
 * 1. Bounded everywhere: a line is at most ZH_BENCH_LINE_MAX bytes, a job file read from disk at
 *    most ZH_BENCH_JOBFILE_MAX_BYTES, a job list ZH_BENCH_JOBS_MAX entries. There is no
 *    recursion. The heap holds only start-up scratch, freed before returning: the parser
 *    state (about 40 KiB, too big for a small stack), one scratch job, a job file's text.
 * 2. A [global] section edits a template (fio's def_thread). Each other section starts a job as
 *    a copy of the template as it is at that point, so a later [global] only affects later jobs.
 *    As in fio, the section name becomes the job name even if [global] set name=; a name= inside
 *    the section overrides it.
 * 3. Every value passes through zh_bench_job_set(), whether it comes from a file or from argv,
 *    so both sources accept exactly the same syntax.
 * 4. A job is finished (zh_bench_job_finish) only after command-line overrides are applied,
 *    because those may supply what a cross-option check needs (e.g. --runtime for time_based).
 * 5. Error messages quote user text through show(), which replaces control bytes and cuts long
 *    strings, so a message is always one line of bounded length.
 */
#include "benchmarks/bench_job.h"
#include "benchmarks/bench_verify.h"
#include "nvme/nvme.h"

#include <assert.h>
#include <errno.h>
#include <float.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest user string quoted in an error message before it is cut with "...". */
#define SHOW_MAX 72
/* Room for one reason, before the "source:line: " prefix is added. */
#define MSG_MAX 512

static_assert(ZH_BENCH_LINE_MAX > ZH_BENCH_PATH_MAX + 64, "a line must hold any path option");
static_assert(ZH_BENCH_NAME_MAX <= sizeof(((struct zh_bench_job *)0)->iops_log),
	      "a bare log option copies the job name into the log prefix");
static_assert(ZH_BENCH_JOBS_MAX <= UINT32_MAX, "job_count is 32 bits");
static_assert(ZH_BENCH_DIST_WHOLE == ZH_BENCH_BS_SHARE_WHOLE, "one share parser for both");
static_assert(ZH_BENCH_FILES_MAX == 16, "the nrfiles and filename messages name the limit");

static void __attribute__((format(printf, 3, 4)))
set_err(char *err, size_t err_len, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || err_len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, err_len, fmt, ap);
	va_end(ap);
}

/* Copy user text for an error message: control bytes become '?', long text ends in "...". */
static const char *show(char *buf, size_t buf_len, const char *s)
{
	size_t o = 0;

	ZH_ASSERT(buf_len > 4);
	for (size_t i = 0; s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];

		if (o + 4 >= buf_len) {
			memcpy(buf + o, "...", 4);
			return buf;
		}
		buf[o++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	buf[o] = '\0';
	return buf;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_xdigit(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static bool is_ctrl(char c)
{
	unsigned char u = (unsigned char)c;

	return u < 0x20 || u == 0x7f;
}

/* Continuation bytes after a UTF-8 lead byte; 4 for a byte that cannot lead (RFC 3629). */
static unsigned utf8_tail(unsigned char lead)
{
	if (lead < 0x80)
		return 0;
	if (lead >= 0xc2 && lead <= 0xdf)
		return 1;
	if (lead >= 0xe0 && lead <= 0xef)
		return 2;
	return lead >= 0xf0 && lead <= 0xf4 ? 3 : 4;
}

/*
 * Whether \p s is UTF-8 as strict JSON parsers take it: shortest forms, no surrogates, nothing
 * past U+10FFFF. Text the JSON report echoes must be; cJSON copies bytes as they are.
 */
static bool utf8_valid(const char *s)
{
	static const uint32_t least[] = {0, 0x80, 0x800, 0x10000};
	static const unsigned char lead_bits[] = {0x7f, 0x1f, 0x0f, 0x07};
	const unsigned char *p = (const unsigned char *)s;

	while (*p != '\0') {
		unsigned tail = utf8_tail(*p);
		uint32_t cp;

		if (tail == 4)
			return false;
		cp = *p & lead_bits[tail];
		for (unsigned i = 1; i <= tail; i++) {
			/* The terminating NUL is no continuation byte: a cut sequence ends here. */
			if ((p[i] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (p[i] & 0x3fu);
		}
		if (cp < least[tail] || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return false;
		p += tail + 1;
	}
	return true;
}

static char ascii_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* Case-insensitive ASCII comparison that does not depend on the locale. */
static bool ieq(const char *a, const char *b)
{
	size_t i = 0;

	for (; a[i] != '\0' && b[i] != '\0'; i++) {
		if (ascii_lower(a[i]) != ascii_lower(b[i]))
			return false;
	}
	return a[i] == b[i];
}

static char *trim(char *s)
{
	size_t n;

	while (is_blank(*s))
		s++;
	n = strlen(s);
	while (n > 0 && is_blank(s[n - 1]))
		s[--n] = '\0';
	return s;
}

/* ---------------------------------------------------------------------------------------------
 * Value parsers. Each returns 0 or -EINVAL and points *why at the end of "bad value ... : <why>".
 */

/*
 * Parse an unsigned number at the start of s: decimal digits, or a whole "0x" hex number (no
 * suffix may follow hex, since "0x1b" would be ambiguous). No sign, no blanks.
 */
static int parse_uint_prefix(const char *s, uint64_t *out, const char **end, const char **why)
{
	unsigned long long v;
	char *e = NULL;
	int base = 10;

	*why = "expected a number";
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		if (!is_xdigit(s[2]))
			return -EINVAL;
		base = 16;
	} else if (!is_digit(s[0])) {
		return -EINVAL;
	}
	errno = 0;
	v = strtoull(s, &e, base);
	if (errno == ERANGE) {
		*why = "the number does not fit in 64 bits";
		return -EINVAL;
	}
	if (base == 16 && *e != '\0')
		return -EINVAL;
	*out = v;
	*end = e;
	return 0;
}

/* A decimal integer from \p lo to \p hi, the whole of \p s. */
static int parse_long_in(const char *s, long lo, long hi, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(s, &end, 10);
	return errno != 0 || end == s || *end != '\0' || *out < lo || *out > hi ? -EINVAL : 0;
}

static int parse_u64(const char *s, uint64_t *out, const char **why)
{
	const char *end;
	int rc = parse_uint_prefix(s, out, &end, why);

	if (rc == 0 && *end != '\0') {
		*why = "expected a number";
		return -EINVAL;
	}
	return rc;
}

struct unit {
	const char *suffix;
	uint64_t mult;
};

/* fio's kb_base=1024 convention; the brief of this tool makes the IEC spellings 1024-based too. */
static const struct unit size_units[] = {
    {"", 1},
    {"b", 1},
    {"k", 1ull << 10},
    {"kb", 1ull << 10},
    {"kib", 1ull << 10},
    {"m", 1ull << 20},
    {"mb", 1ull << 20},
    {"mib", 1ull << 20},
    {"g", 1ull << 30},
    {"gb", 1ull << 30},
    {"gib", 1ull << 30},
    {"t", 1ull << 40},
    {"tb", 1ull << 40},
    {"tib", 1ull << 40},
    {"p", 1ull << 50},
    {"pb", 1ull << 50},
    {"pib", 1ull << 50},
};

/* fio time units; a bare number means seconds. */
static const struct unit time_units[] = {
    {"", 1000000000ull},
    {"us", 1000ull},
    {"usec", 1000ull},
    {"ms", 1000000ull},
    {"msec", 1000000ull},
    {"s", 1000000000ull},
    {"sec", 1000000000ull},
    {"m", 60ull * 1000000000ull},
    {"min", 60ull * 1000000000ull},
    {"h", 3600ull * 1000000000ull},
    {"d", 86400ull * 1000000000ull},
};

static int scale(uint64_t v, const char *suffix, const struct unit *units, size_t n, uint64_t *out,
		 const char **why)
{
	for (size_t i = 0; i < n; i++) {
		if (!ieq(suffix, units[i].suffix))
			continue;
		if (v > UINT64_MAX / units[i].mult) {
			*why = "the value does not fit in 64 bits";
			return -EINVAL;
		}
		*out = v * units[i].mult;
		return 0;
	}
	return -EINVAL;
}

/* A byte count with an optional k/m/g/t/p suffix, or (if pct != NULL) a percentage "N%". */
static int parse_size(const char *s, uint64_t *bytes, uint32_t *pct, const char **why)
{
	const char *end;
	uint64_t v;
	int rc;

	rc = parse_uint_prefix(s, &v, &end, why);
	if (rc == 0 && pct != NULL && end[0] == '%' && end[1] == '\0') {
		if (v < 1 || v > 100) {
			*why = "a percentage must be from 1% to 100%";
			return -EINVAL;
		}
		*pct = (uint32_t)v;
		*bytes = 0;
		return 0;
	}
	if (rc == 0) {
		*why = "expected a size like 4k";
		rc = scale(v, end, size_units, sizeof(size_units) / sizeof(size_units[0]), bytes,
			   why);
	} else if (strcmp(*why, "expected a number") == 0) {
		*why = "expected a size like 4k";
	}
	if (rc == 0 && pct != NULL)
		*pct = 0;
	return rc;
}

/* A time; a number without a unit is in \p bare_unit ("" is seconds). */
static int parse_time_in(const char *s, const char *bare_unit, const char *expected, uint64_t *ns,
			 const char **why)
{
	const char *end;
	uint64_t v;
	int rc;

	rc = parse_uint_prefix(s, &v, &end, why);
	if (rc == 0) {
		*why = expected;
		rc = scale(v, *end == '\0' ? bare_unit : end, time_units,
			   sizeof(time_units) / sizeof(time_units[0]), ns, why);
	} else if (strcmp(*why, "expected a number") == 0) {
		*why = expected;
	}
	return rc;
}

/*
 * Any time option is at most 2^62 ns (146 years), so that the deadlines built from them (the
 * reactor's clock plus ramp_time plus runtime) cannot wrap: a runtime near 2^64 ns ended its
 * job after one I/O.
 */
#define TIME_MAX_NS (1ull << 62)

static int parse_time_ns(const char *s, uint64_t *ns, const char **why)
{
	int rc = parse_time_in(s, "", "expected a time like 30, 500ms or 2m", ns, why);

	if (rc == 0 && *ns > TIME_MAX_NS) {
		*why = "a time must be at most 146 years";
		return -EINVAL;
	}
	return rc;
}

/* A decimal number from 0 up to \p max, as fio's float options take it. */
static int parse_real(const char *s, double max, double *out)
{
	char *end = NULL;
	double v;

	if (!is_digit(s[0]) && s[0] != '.')
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || *end != '\0' || !(v >= 0.0 && v <= max))
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_bool(const char *s, bool *out, const char **why)
{
	static const char *const yes[] = {"1", "true", "yes", "on"};
	static const char *const no[] = {"0", "false", "no", "off"};

	if (s == NULL) {
		*out = true;
		return 0;
	}
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (ieq(s, yes[i])) {
			*out = true;
			return 0;
		}
		if (ieq(s, no[i])) {
			*out = false;
			return 0;
		}
	}
	*why = "expected 0/1, true/false, yes/no or on/off";
	return -EINVAL;
}

/* One decimal CPU number of at most five digits; returns the end, or NULL. */
static const char *parse_cpu(const char *p, uint32_t *cpu)
{
	uint32_t v = 0;
	size_t n = 0;

	for (; is_digit(p[n]); n++) {
		if (n == 5)
			return NULL;
		v = v * 10 + (uint32_t)(p[n] - '0');
	}
	if (n == 0)
		return NULL;
	*cpu = v;
	return p + n;
}

/* fio's cpus_allowed syntax: a comma list of N or N-M, every N below ZH_BENCH_CPU_MAX. */
static int check_cpu_list(const char *s, const char **why)
{
	const char *p = s;

	*why = "expected a CPU list like 0-3,8 with CPU numbers below 4096";
	for (size_t items = 0; items < ZH_BENCH_CPU_MAX; items++) {
		uint32_t lo, hi;

		p = parse_cpu(p, &lo);
		if (p == NULL)
			return -EINVAL;
		hi = lo;
		if (*p == '-') {
			p = parse_cpu(p + 1, &hi);
			if (p == NULL)
				return -EINVAL;
		}
		if (lo >= ZH_BENCH_CPU_MAX || hi >= ZH_BENCH_CPU_MAX || hi < lo)
			return -EINVAL;
		if (*p == '\0')
			return 0;
		if (*p != ',')
			return -EINVAL;
		p++;
	}
	return -EINVAL;
}

/* ---------------------------------------------------------------------------------------------
 * Job options.
 */

struct opt_ctx {
	const char *prefix; /* "" in job files, "--" on the command line */
	const char *key;
	const char *value; /* NULL: bare key */
	char *err;
	size_t err_len;
};

typedef int (*opt_fn)(struct zh_bench_job *job, const struct opt_ctx *ctx);

enum opt_kind {
	OPT_BOOL,
	OPT_U32,
	OPT_SIZE, /* a byte count into a uint64_t (size_value) */
	OPT_TIME,
	OPT_STR,
	OPT_PATH,
	OPT_NAMES, /* a path or fio's ':' list of them, as written (zh_bench_job_file_name) */
	OPT_LOG,
	OPT_FN
};

struct opt_desc {
	const char *name;
	enum opt_kind kind;
	size_t off;	   /* field in struct zh_bench_job */
	size_t cap;	   /* OPT_STR, OPT_PATH, OPT_NAMES, OPT_LOG: size of the char array */
	uint32_t min, max; /* OPT_U32 bounds */
	size_t flag_off;   /* OPT_LOG: its *_use_name flag */
	bool allow_empty;  /* OPT_STR: "" is a valid value */
	opt_fn fn;	   /* OPT_FN */
};

static int bad_value(const struct opt_ctx *ctx, const char *why)
{
	char v[SHOW_MAX], k[SHOW_MAX];

	set_err(ctx->err, ctx->err_len, "bad value '%s' for '%s%s': %s",
		show(v, sizeof(v), ctx->value), ctx->prefix, show(k, sizeof(k), ctx->key), why);
	return -EINVAL;
}

static int need_value(const struct opt_ctx *ctx)
{
	char k[SHOW_MAX];

	if (ctx->value != NULL)
		return 0;
	set_err(ctx->err, ctx->err_len, "option '%s%s' requires a value", ctx->prefix,
		show(k, sizeof(k), ctx->key));
	return -EINVAL;
}

/* A two-way choice: \p off or \p on sets \p out; anything else is refused. */
static int opt_either(const struct opt_ctx *ctx, const char *off, const char *on, bool *out)
{
	char why[64];
	int rc = need_value(ctx);

	if (rc != 0)
		return rc;
	if (strcmp(ctx->value, on) != 0 && strcmp(ctx->value, off) != 0) {
		snprintf(why, sizeof(why), "expected %s or %s", off, on);
		return bad_value(ctx, why);
	}
	*out = strcmp(ctx->value, on) == 0;
	return 0;
}

/* One word an option takes, and what it means. */
struct choice {
	const char *name;
	unsigned value;
};

/* The meaning of \p word in \p table (\p n entries). \return 0, or -ENOENT. */
static int find_choice(const char *word, const struct choice *table, size_t n, unsigned *value)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(word, table[i].name) == 0) {
			*value = table[i].value;
			return 0;
		}
	}
	return -ENOENT;
}

/*
 * fio's "rw=MODE:N": for a random mode a count (a random offset every N-th I/O, the others
 * following on, or at the same offset with rw_sequencer=identical); for a sequential one a
 * size added after every I/O, holes ahead or, negative, reading backwards.
 */
static int rw_modifier(enum zh_bench_rw rw, const struct opt_ctx *ctx, const char *nr,
		       uint32_t *every, int64_t *add)
{
	bool back = nr[0] == '-';
	const char *why;
	uint64_t v;

	if (zh_bench_rw_is_object(rw))
		return bad_value(ctx, "an object job takes no ':N' offset modifier");
	if (zh_bench_rw_is_random(rw)) {
		if (parse_u64(nr, &v, &why) != 0 || v == 0 || v > UINT32_MAX)
			return bad_value(ctx,
					 "expected a count of I/Os after ':', as in randread:8");
		*every = (uint32_t)v;
		return 0;
	}
	if (parse_size(nr + back, &v, NULL, &why) != 0 || v > ZH_BENCH_BS_MAX_BYTES * 1024ull)
		return bad_value(ctx, "expected a size after ':', as in write:4k or read:-8k");
	*add = back ? -(int64_t)v : (int64_t)v;
	return 0;
}

static int opt_rw_sequencer(struct zh_bench_job *job, const struct opt_ctx *ctx)
{
	return opt_either(ctx, "sequential", "identical", &job->seq_identical);
}

static int opt_rw(struct zh_bench_job *job, const struct opt_ctx *ctx)
{
	static const struct choice modes[] = {
	    {"read", ZH_BENCH_RW_READ},
	    {"write", ZH_BENCH_RW_WRITE},
	    {"randread", ZH_BENCH_RW_RANDREAD},
	    {"randwrite", ZH_BENCH_RW_RANDWRITE},
	    {"rw", ZH_BENCH_RW_RW},
	    {"readwrite", ZH_BENCH_RW_RW},
	    {"randrw", ZH_BENCH_RW_RANDRW},
	    {"put", ZH_BENCH_RW_PUT},
	    {"get", ZH_BENCH_RW_GET},
	};
	char mode[32];
	const char *colon;
	unsigned rw;
	uint32_t every = 1;
	int64_t add = 0;
	int rc = need_value(ctx);

	if (rc != 0)
		return rc;
	colon = strchr(ctx->value, ':');
	snprintf(mode, sizeof(mode), "%.*s",
		 (int)(colon != NULL ? (size_t)(colon - ctx->value) : strlen(ctx->value)),
		 ctx->value);
	if (find_choice(mode, modes, sizeof(modes) / sizeof(modes[0]), &rw) != 0)
		return bad_value(ctx, "expected read, write, randread, randwrite, rw, readwrite, "
				      "randrw, put or get");
	if (colon != NULL) {
		rc = rw_modifier((enum zh_bench_rw)rw, ctx, colon + 1, &every, &add);
		if (rc != 0)
			return rc;
	}
	job->rw = (enum zh_bench_rw)rw;
	job->seq_every = every;
	job->seq_add = add;
	return 0;
}

/*
 * Split fio's per-direction value "READ[,WRITE[,TRIM]]", copied into \p buf, into its fields
 * (NULL past the last). \return the number of fields, 1 to 3, or -EINVAL.
 */
static int split_rw(const struct opt_ctx *ctx, char *buf, size_t buf_len, char *field[3])
{
	int n = 0;

	if (strlen(ctx->value) >= buf_len)
		return bad_value(ctx, "too long");
	snprintf(buf, buf_len, "%s", ctx->value);
	field[0] = field[1] = field[2] = NULL;
	for (char *p = buf; p != NULL; n++) {
		if (n == 3)
			return bad_value(ctx, "expected at most read,write,trim");
		field[n] = p;
		p = strchr(p, ',');
		if (p != NULL)
			*p++ = '\0';
	}
	return n;
}

/*
 * fio's "READ[,WRITE[,TRIM]]" for an option no trim takes: \p dir gets the read and write
 * fields (one field sets both; a missing or empty one is ""), and a trim field is refused as
 * \p what ("a trim share").
 */
static int split_rw_dirs(const struct opt_ctx *ctx, char *buf, size_t buf_len, const char *dir[2],
			 const char *what)
{
	char *field[3], why[96];
	int n = need_value(ctx);

	if (n == 0)
		n = split_rw(ctx, buf, buf_len, field);
	if (n < 0)
		return n;
	if (n == 3 && field[2][0] != '\0') {
		snprintf(why, sizeof(why), "%s is not supported (no trims are issued)", what);
		return bad_value(ctx, why);
	}
	for (int d = 0; d < 2; d++) {
		const char *f = field[n == 1 ? 0 : d];

		dir[d] = f != NULL ? f : "";
	}
	return 0;
}

/*
 * fio's per-direction pair "READ[,WRITE[,TRIM]]": one value applies to reads and writes, an
 * empty field leaves its direction unlimited. Sizes (rate=, bytes per second) take k/m/g
 * suffixes; counts (rate_iops=) are plain numbers.
 */
static int parse_rw_pair(const struct opt_ctx *ctx, bool sizes, uint64_t out[2])
{
	char buf[128], *field[3];
	int n = split_rw(ctx, buf, sizeof(buf), field);
	uint64_t v[3] = {0, 0, 0};

	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		const char *why = "expected a number";

		if (field[i][0] == '\0')
			continue;
		if (sizes ? parse_size(field[i], &v[i], NULL, &why) != 0
			  : parse_u64(field[i], &v[i], &why) != 0)
			return bad_value(ctx, why);
	}
	if (v[2] != 0)
		return bad_value(ctx, "a trim rate is not supported (no trims are issued)");
	out[0] = v[0];
	out[1] = n == 1 ? v[0] : v[1];
	return 0;
}

static int opt_rate(struct zh_bench_job *job, const struct opt_ctx *ctx)
{
	int rc = need_value(ctx);

	return rc != 0 ? rc : parse_rw_pair(ctx, true, job->rate_bytes);
}

static int opt_rate_iops(struct zh_bench_job *job, const struct opt_ctx *ctx)
{
	int rc = need_value(ctx);

	return rc != 0 ? rc : parse_rw_pair(ctx, false, job->rate_iops);
}

/* fio's unified_rw_reporting=none|0|mixed|1; fio's both (2) is refused. */
static int opt_unified_rw_reporting(struct zh_bench_job *job, const struct opt_ctx *ctx)
{
	static const struct choice values[] = {{"none", 0}, {"0", 0}, {"mixed", 1}, {"1", 1}};
	unsigned mixed;
	int rc = need_value(ctx);

	if (rc != 0)
		return rc;
	if (find_choice(ctx->value, values, sizeof(values) / sizeof(values[0]), &mixed) != 0)
		return bad_value(ctx, "expected none, 0, mixed or 1 (both is not supported)");
	job->unified_mixed = mixed != 0;
	return 0;
}

/*
 * fio's sync=none|0|sync|1|dsync: how fio opens the file (O_SYNC or O_DSYNC), here the same
 * durability as a flag on each write.
 */
static int opt_sync(struct zh_bench_job *job, const struct opt_ctx *ctx)
{
	static const struct choice values[] = {{"none", 0},
					       {"0", 0},
					       {"sync", ZH_NVME_IO_SYNC},
					       {"1", ZH_NVME_IO_SYNC},
					       {"dsync", ZH_NVME_IO_FUA}};
	int rc = need_value(ctx);

	if (rc != 0)
		return rc;
	if (find_choice(ctx->value, values, sizeof(values) / sizeof(values[0]),
			&job->write_flags) != 0)
		return bad_value(ctx, "expected none, 0, sync, 1 or dsync");
	return 0;
}

/* fio's linear (I/O evenly spaced, the default) or poisson (exponential gaps, same mean). */
static int opt_rate_process(struct zh_bench_job *job, const struct opt_ctx *ctx)
{
	return opt_either(ctx, "linear", "poisson", &job->rate_poisson);
}

/* fio's startdelay=T or T-T2 (each clone draws its own from the range); seconds by default. */
static int opt_startdelay(struct zh_bench_job *job, const struct opt_ctx *ctx)
{
	char buf[64];
	char *dash;
	const char *why;
	uint64_t lo, hi;
	int rc = need_value(ctx);

	if (rc != 0)
		return rc;
	if (strlen(ctx->value) >= sizeof(buf))
		return bad_value(ctx, "too long");
	snprintf(buf, sizeof(buf), "%s", ctx->value);
	dash = strchr(buf, '-');
	if (dash != NULL)
		*dash = '\0';
	if (parse_time_ns(buf, &lo, &why) != 0 ||
	    (dash != NULL && parse_time_ns(dash + 1, &hi, &why) != 0))
		return bad_value(ctx, why);
	if (dash == NULL)
		hi = lo;
	if (lo > hi)
		return bad_value(ctx, "the shorter time comes first, as in 1-5");
	job->start_delay_ns = lo;
	job->start_delay_max_ns = hi;
	return 0;
}

/*
 * A time in microseconds when it has no unit, as fio takes thinktime, flow_sleep and the
 * latency options.
 */
static int us_value(const struct opt_ctx *ctx, uint64_t *ns)
{
	const char *why;
	int rc = need_value(ctx);

	if (rc != 0)
		return rc;
	if (parse_time_in(ctx->value, "us", "expected a time like 500, 2ms or 1s", ns, &why) != 0)
		return bad_value(ctx, why);
	return 0;
}

static int opt_thinktime(struct zh_bench_job *job, const struct opt_ctx *ctx)
{
	return us_value(ctx, &job->think_ns);
}

/* fio's flow: a weight up to 1000; a negative one (fio's older convention) counts by its size. */
static int opt_flow(struct zh_bench_job *job, const struct opt_ctx *ctx)
{
	long v;
	int rc = need_value(ctx);

	if (rc != 0)
		return rc;
	if (parse_long_in(ctx->value, -ZH_BENCH_FLOW_MAX, ZH_BENCH_FLOW_MAX, &v) != 0)
		return bad_value(ctx, "expected an integer from -1000 to 1000");
	job->flow = (int32_t)v;
	return 0;
}

static int opt_flow_sleep(struct zh_bench_job *job, const struct opt_ctx *ctx)
{
	return us_value(ctx, &job->flow_sleep_ns);
}

static int opt_latency_target(struct zh_bench_job *job, const struct opt_ctx *ctx)
{
	return us_value(ctx, &job->lat_target_ns);
}

static int opt_latency_window(struct zh_bench_job *job, const struct opt_ctx *ctx)
{
	return us_value(ctx, &job->lat_window_ns);
}

static int opt_max_latency(struct zh_bench_job *job, const struct opt_ctx *ctx)
{
	return us_value(ctx, &job->max_lat_ns);
}

/* ss=METRIC:LIMIT[%], METRIC one of iops, bw, iops_slope, bw_slope (fio's). */
static int opt_steadystate(struct zh_bench_job *job, const struct opt_ctx *ctx)
{
	static const struct choice metrics[] = {
	    {"iops", 0}, {"iops_slope", 1}, {"bw", 2}, {"bw_slope", 3}};
	char metric[16], limit_s[64];
	const char *colon;
	unsigned m;
	size_t len;
	bool pct;
	double limit;
	int rc = need_value(ctx);

	if (rc != 0)
		return rc;
	colon = strchr(ctx->value, ':');
	if (colon != NULL)
		snprintf(metric, sizeof(metric), "%.*s", (int)(colon - ctx->value), ctx->value);
	if (colon == NULL || find_choice(metric, metrics, 4, &m) != 0)
		return bad_value(ctx, "expected iops, iops_slope, bw or bw_slope, a ':' and a "
				      "limit, as in iops_slope:0.3%");
	len = strlen(colon + 1);
	pct = len > 0 && colon[len] == '%';
	if (len - pct >= sizeof(limit_s))
		return bad_value(ctx, "too long");
	snprintf(limit_s, sizeof(limit_s), "%.*s", (int)(len - pct), colon + 1);
	if (parse_real(limit_s, DBL_MAX, &limit) != 0 || !(limit > 0.0))
		return bad_value(
		    ctx, "expected a limit above 0 after ':', as in iops:10% or bw_slope:1048576");
	job->ss.bw = m >= 2;
	job->ss.slope = m % 2 == 1;
	job->ss.pct = pct;
	job->ss.limit = limit;
	return 0;
}

/* ss_dur: whole seconds (the judgement samples once a second), an hour at most. */
static int opt_steadystate_duration(struct zh_bench_job *job, const struct opt_ctx *ctx)
{
	const char *why;
	uint64_t ns;
	int rc = need_value(ctx);

	if (rc != 0)
		return rc;
	if (parse_time_ns(ctx->value, &ns, &why) != 0)
		return bad_value(ctx, why);
	if (ns % 1000000000ull != 0 || ns / 1000000000ull > ZH_BENCH_SS_SECONDS_MAX)
		return bad_value(ctx, "expected whole seconds, up to an hour, as in 30s");
	job->ss.seconds = (uint32_t)(ns / 1000000000ull);
	return 0;
}

/* latency_percentile: one percentage above 0, up to 100 (fio's list form is not needed). */
static int opt_latency_percentile(struct zh_bench_job *job, const struct opt_ctx *ctx)
{
	double v;
	int rc = need_value(ctx);

	if (rc != 0)
		return rc;
	if (parse_real(ctx->value, 100.0, &v) != 0 || !(v > 0.0))
		return bad_value(ctx, "expected a percentage above 0, up to 100, as in 99.9");
	job->lat_percentile = v;
	return 0;
}

static int opt_thinktime_blocks_type(struct zh_bench_job *job, const struct opt_ctx *ctx)
{
	return opt_either(ctx, "complete", "issue", &job->think_on_issue);
}

/* fio's gtod_reduce: all four disable_* options at once. */
static int opt_gtod_reduce(struct zh_bench_job *job, const struct opt_ctx *ctx)
{
	const char *why;
	bool on;

	if (parse_bool(ctx->value, &on, &why) != 0)
		return bad_value(ctx, why);
	job->disable_slat = on;
	job->disable_clat = on;
	job->disable_lat = on;
	job->disable_bw = on;
	return 0;
}

/*
 * A reactor serves other jobs while one thinks, so it waits on a timer: only fio's default of
 * no spinning is taken, and no think every N microseconds of I/O (thinktime_iotime).
 */
static int opt_think_zero_only(struct zh_bench_job *job, const struct opt_ctx *ctx)
{
	const char *why;
	uint64_t v;
	int rc = need_value(ctx);

	(void)job;
	if (rc != 0)
		return rc;
	if (parse_time_ns(ctx->value, &v, &why) != 0 || v != 0)
		return bad_value(ctx, "only 0: a reactor waits for a thinking job on a timer");
	return 0;
}

/* fio's verify=: crc32c (crc32c-intel is fio's name for the same with SSE4.2) or 0 for none. */
static int opt_verify(struct zh_bench_job *job, const struct opt_ctx *ctx)
{
	int kind, rc = need_value(ctx);

	if (rc != 0)
		return rc;
	if (strcmp(ctx->value, "0") == 0) {
		job->verify = false;
		job->verify_set = true;
		return 0;
	}
	kind = zh_bench_verify_kind_parse(ctx->value);
	if (kind < 0)
		return bad_value(ctx,
				 "expected 0, crc32c, crc32c-intel, crc32, crc16, crc64, md5, "
				 "sha1, sha224, sha256, sha384, sha512, xxhash, meta or pattern");
	job->verify = true;
	job->verify_set = true;
	job->verify_kind = (unsigned)kind;
	return 0;
}

/* buffer_pattern: fio's pattern without %o (fio's takes no formats) in every write. */
static int opt_buffer_pattern(struct zh_bench_job *job, const struct opt_ctx *ctx)
{
	struct zh_bench_pattern p;
	const char *why;
	int rc = need_value(ctx);

	if (rc != 0)
		return rc;
	if (zh_bench_pattern_parse(&p, ctx->value, &why) != 0)
		return bad_value(ctx, why);
	if (p.offset_count != 0)
		return bad_value(ctx,
				 "buffer_pattern takes no %o, as in fio (verify_pattern does)");
	job->buffer_pattern = p;
	return 0;
}

/* verify_pattern: fio's pattern (bench_pattern.h) in every verified block. */
static int opt_verify_pattern(struct zh_bench_job *job, const struct opt_ctx *ctx)
{
	const char *why;
	int rc = need_value(ctx);

	if (rc != 0)
		return rc;
	if (zh_bench_pattern_parse(&job->verify_pattern, ctx->value, &why) != 0)
		return bad_value(ctx, why);
	return 0;
}

static int parse_pct(const struct opt_ctx *ctx, uint32_t *pct)
{
	const char *why;
	uint64_t v;
	int rc = need_value(ctx);

	if (rc != 0)
		return rc;
	if (parse_u64(ctx->value, &v, &why) != 0 || v > 100)
		return bad_value(ctx, "expected a percentage from 0 to 100");
	*pct = (uint32_t)v;
	return 0;
}

static int opt_rwmixread(struct zh_bench_job *job, const struct opt_ctx *ctx)
{
	uint32_t pct = 0;
	int rc = parse_pct(ctx, &pct);

	if (rc == 0)
		job->rwmixread_pct = pct;
	return rc;
}

static int opt_rwmixwrite(struct zh_bench_job *job, const struct opt_ctx *ctx)
{
	uint32_t pct = 0;
	int rc = parse_pct(ctx, &pct);

	if (rc == 0)
		job->rwmixread_pct = 100 - pct;
	return rc;
}

/* ---- block sizes: bs, bsrange, bssplit (bench_bs.h) ---- */

/* One block size, from 1 byte to ZH_BENCH_BS_MAX_BYTES. */
static int parse_bs_bytes(const char *s, uint32_t *out, const char **why)
{
	uint64_t v;

	if (parse_size(s, &v, NULL, why) != 0)
		return -EINVAL;
	if (v == 0 || v > ZH_BENCH_BS_MAX_BYTES) {
		*why = "expected a size like 4k, from 1 byte to 1g";
		return -EINVAL;
	}
	*out = (uint32_t)v;
	return 0;
}

/*
 * A block-size option's value, "READ[,WRITE[,TRIM]]", each field parsed by \p parse into
 * sizes of \p kind. One field sets both directions, an empty one leaves its direction as it
 * was, and a direction set by a stronger option (fio: bssplit over bsrange over bs) keeps it.
 * Nothing changes unless every field parses.
 */
static int set_bs_fields(struct zh_bench_job *job, const struct opt_ctx *ctx,
			 enum zh_bench_bs_kind kind,
			 int (*parse)(char *field, struct zh_bench_bs *bs, const char **why))
{
	char buf[4096], *field[3];
	struct zh_bench_bs parsed[2] = {{0}}; /* whole, so jobs compare with memcmp */
	int n = split_rw(ctx, buf, sizeof(buf), field);
	const char *why = NULL;

	if (n < 0)
		return n;
	if (n == 3 && field[2][0] != '\0')
		return bad_value(ctx, "a trim block size is not supported (no trims are issued)");
	for (int d = 0; d < 2 && d < n; d++) {
		if (field[d][0] != '\0' && parse(field[d], &parsed[d], &why) != 0)
			return bad_value(ctx, why);
	}
	for (int d = 0; d < 2; d++) {
		int f = n == 1 ? 0 : d;

		if (f < n && field[f][0] != '\0' && kind >= job->bs[d].kind)
			job->bs[d] = parsed[f];
	}
	return 0;
}

static int parse_bs_one(char *field, struct zh_bench_bs *bs, const char **why)
{
	uint32_t v;

	if (strchr(field, '-') != NULL) {
		/* fio reads "4k-16k" here as a read size and a write size: surely not meant. */
		*why = "a range goes in bsrange=4k-16k (bs=4k,16k: reads 4k, writes 16k)";
		return -EINVAL;
	}
	if (strchr(field, ':') != NULL || strchr(field, '/') != NULL) {
		*why = "a mix of sizes goes in bssplit=4k/50:64k/50";
		return -EINVAL;
	}
	if (parse_bs_bytes(field, &v, why) != 0)
		return -EINVAL;
	zh_bench_bs_one(bs, v);
	return 0;
}

/* "MIN-MAX", or one size (a range of one). */
static int parse_bs_range(char *field, struct zh_bench_bs *bs, const char **why)
{
	char *dash = strchr(field, '-');
	uint32_t min, max;

	if (dash != NULL)
		*dash = '\0';
	if (parse_bs_bytes(field, &min, why) != 0 ||
	    parse_bs_bytes(dash != NULL ? dash + 1 : field, &max, why) != 0)
		return -EINVAL;
	if (min > max) {
		*why = "the smallest size comes first, as in 4k-16k";
		return -EINVAL;
	}
	zh_bench_bs_one(bs, min);
	bs->kind = ZH_BENCH_BS_RANGE;
	bs->max_bytes = max;
	return 0;
}

/* A bssplit percentage, 0 to 100 with at most 4 decimals, in millionths of the whole. */
static int parse_share(const char *s, uint32_t *share, const char **why)
{
	uint64_t whole = 0, frac = 0;
	unsigned digits = 0, frac_digits = 0;

	*why = "expected a percentage from 0 to 100 with at most 4 decimals, as in 12.5";
	for (; is_digit(*s) && digits < 4; s++, digits++)
		whole = whole * 10 + (uint64_t)(*s - '0');
	if (*s == '.') {
		for (s++; is_digit(*s) && frac_digits < 4; s++, frac_digits++)
			frac = frac * 10 + (uint64_t)(*s - '0');
	}
	if (*s != '\0' || digits == 0)
		return -EINVAL;
	for (; frac_digits < 4; frac_digits++)
		frac *= 10;
	if (whole * 10000 + frac > ZH_BENCH_BS_SHARE_WHOLE)
		return -EINVAL;
	*share = (uint32_t)(whole * 10000 + frac);
	return 0;
}

/*
 * Entries without a share (\p missing) split what the given ones leave evenly, the last taking
 * the rounding. The given shares may add up to at most the whole, and to exactly the whole when
 * none is missing and \p exact: fio accepts other bssplit sums and then gives what is missing
 * to one size (the last after sorting by share), which hides a typo, so those are refused.
 */
static int shares_fill(uint32_t *share, const bool *missing, uint32_t count, bool exact)
{
	uint64_t given = 0;
	uint32_t missing_count = 0, left, last = 0;

	for (uint32_t i = 0; i < count; i++) {
		given += missing[i] ? 0 : share[i];
		missing_count += missing[i];
	}
	if (given > ZH_BENCH_BS_SHARE_WHOLE ||
	    (exact && missing_count == 0 && given != ZH_BENCH_BS_SHARE_WHOLE))
		return -EINVAL;
	left = ZH_BENCH_BS_SHARE_WHOLE - (uint32_t)given;
	for (uint32_t i = 0; i < count; i++) {
		if (missing[i]) {
			share[i] = left / missing_count;
			last = i;
		}
	}
	if (missing_count > 0)
		share[last] += left % missing_count;
	return 0;
}

/*
 * The next entry of a ':' list of "A/B" pairs (bssplit, zoned), cut at its '/': *\p list moves
 * past it (NULL after the last) and *\p b gets what follows the '/' (NULL without one).
 */
static char *next_pair(char **list, char **b)
{
	char *a = *list, *next = strchr(a, ':'), *slash;

	if (next != NULL)
		*next++ = '\0';
	*list = next;
	slash = strchr(a, '/');
	if (slash != NULL)
		*slash++ = '\0';
	*b = slash;
	return a;
}

/* "SIZE[/PCT]:SIZE[/PCT]...", at most ZH_BENCH_BSSPLIT_MAX entries. */
static int parse_bs_split(char *field, struct zh_bench_bs *bs, const char **why)
{
	bool missing[ZH_BENCH_BSSPLIT_MAX] = {false};

	bs->kind = ZH_BENCH_BS_SPLIT;
	bs->split_count = 0;
	bs->min_bytes = UINT32_MAX;
	bs->max_bytes = 0;
	for (char *rest = field; rest != NULL;) {
		uint32_t i = bs->split_count;
		char *slash, *entry = next_pair(&rest, &slash);

		if (i == ZH_BENCH_BSSPLIT_MAX) {
			*why = "at most 64 sizes";
			return -EINVAL;
		}
		if (parse_bs_bytes(entry, &bs->split_bytes[i], why) != 0)
			return -EINVAL;
		missing[i] = slash == NULL || *slash == '\0';
		bs->split_share[i] = 0;
		if (!missing[i] && parse_share(slash, &bs->split_share[i], why) != 0)
			return -EINVAL;
		if (bs->split_bytes[i] < bs->min_bytes)
			bs->min_bytes = bs->split_bytes[i];
		if (bs->split_bytes[i] > bs->max_bytes)
			bs->max_bytes = bs->split_bytes[i];
		bs->split_count++;
	}
	if (shares_fill(bs->split_share, missing, bs->split_count, true) != 0) {
		*why = "the percentages must add up to 100";
		return -EINVAL;
	}
	return 0;
}

/* ---- random_distribution (bench_dist.h) ---- */

/* "P[:CENTER]" after "zipf:", "pareto:" or "normal:". */
static int parse_dist_param(char *rest, struct zh_bench_dist *d, const char **why)
{
	char *colon = strchr(rest, ':');

	if (colon != NULL)
		*colon = '\0';
	if (d->kind == ZH_BENCH_DIST_ZIPF &&
	    (parse_real(rest, 1e6, &d->param) != 0 || d->param == 0.0)) {
		*why = "zipf takes a theta above 0, as in zipf:1.2";
		return -EINVAL;
	}
	if (d->kind == ZH_BENCH_DIST_PARETO &&
	    (parse_real(rest, 1.0, &d->param) != 0 || d->param == 0.0 || d->param == 1.0)) {
		*why = "pareto takes an h between 0 and 1, as in pareto:0.9";
		return -EINVAL;
	}
	if (d->kind == ZH_BENCH_DIST_NORMAL &&
	    (parse_real(rest, 100.0, &d->param) != 0 || d->param == 100.0)) {
		*why =
		    "normal takes a deviation from 0 to below 100 (% of the file), as in normal:10";
		return -EINVAL;
	}
	if (colon != NULL && (parse_real(colon + 1, 1.0, &d->center) != 0 || d->center == 1.0)) {
		*why = "the centre is a fraction of the file from 0 to below 1, as in zipf:1.2:0.5";
		return -EINVAL;
	}
	return 0;
}

/* zoned_abs's zone length: a size such as 10g, above 0 (fio draws nothing from an empty one). */
static int parse_zone_bytes(const char *s, uint64_t *bytes, const char **why)
{
	if (s == NULL || parse_size(s, bytes, NULL, why) != 0 || *bytes == 0) {
		*why = "a zoned_abs zone is ACCESS%/LENGTH, as in zoned_abs:60/10g:40/20g";
		return -EINVAL;
	}
	return 0;
}

/*
 * "A/R:A/R...": A% of the accesses to the next R% of the blocks (zoned) or the next R bytes
 * (zoned_abs, R a size). As in fio, the accesses add up to 100, zoned's ranges to at most 100
 * (the rest of the file is not touched), and a zoned zone without a range ("20/" or "20", as
 * fio's examples/rand-zones.fio ends) splits what the others leave.
 */
static int parse_zones(char *list, struct zh_bench_dist *d, const char **why)
{
	bool missing[ZH_BENCH_ZONES_MAX] = {false};
	bool absolute = d->kind == ZH_BENCH_DIST_ZONED_ABS;
	uint64_t access = 0;

	d->zone_count = 0;
	for (char *rest = list; rest != NULL;) {
		uint32_t i = d->zone_count;
		char *range, *access_pct = next_pair(&rest, &range);

		if (i == ZH_BENCH_ZONES_MAX) {
			*why = "at most 256 zones";
			return -EINVAL;
		}
		if (parse_share(access_pct, &d->zone_access[i], why) != 0)
			return -EINVAL;
		missing[i] = range == NULL || *range == '\0';
		d->zone_range[i] = 0;
		d->zone_bytes[i] = 0;
		if (absolute && parse_zone_bytes(range, &d->zone_bytes[i], why) != 0)
			return -EINVAL;
		if (!absolute && !missing[i] && parse_share(range, &d->zone_range[i], why) != 0)
			return -EINVAL;
		access += d->zone_access[i];
		d->zone_count++;
	}
	if (access != ZH_BENCH_DIST_WHOLE) {
		*why = "the zones' accesses must add up to 100";
		return -EINVAL;
	}
	if (!absolute && shares_fill(d->zone_range, missing, d->zone_count, false) != 0) {
		*why = "the zones' ranges must add up to at most 100";
		return -EINVAL;
	}
	return 0;
}

/* fio's percentage_random=R[,W[,T]]: 0 to 100 each; an empty field leaves its direction. */
static int opt_percentage_random(struct zh_bench_job *job, const struct opt_ctx *ctx)
{
	char buf[128];
	const char *dir[2], *why;
	uint64_t v[2] = {job->random_pct[0], job->random_pct[1]};
	int rc = split_rw_dirs(ctx, buf, sizeof(buf), dir, "a trim share");

	if (rc != 0)
		return rc;
	for (int d = 0; d < 2; d++) {
		if (dir[d][0] != '\0' && (parse_u64(dir[d], &v[d], &why) != 0 || v[d] > 100))
			return bad_value(ctx,
					 "expected a percentage from 0 to 100, as in 50 or 90,10");
	}
	job->random_pct[0] = (uint32_t)v[0];
	job->random_pct[1] = (uint32_t)v[1];
	return 0;
}

static int opt_random_generator(struct zh_bench_job *job, const struct opt_ctx *ctx)
{
	int rc = need_value(ctx);

	if (rc != 0)
		return rc;
	if (strcmp(ctx->value, "lfsr") == 0)
		job->lfsr = true;
	else if (strcmp(ctx->value, "tausworthe") == 0 || strcmp(ctx->value, "tausworthe64") == 0)
		job->lfsr = false;
	else
		return bad_value(ctx, "expected tausworthe, tausworthe64 or lfsr");
	return 0;
}

static int opt_random_distribution(struct zh_bench_job *job, const struct opt_ctx *ctx)
{
	static const struct {
		const char *prefix;
		enum zh_bench_dist_kind kind;
	} kinds[] = {{"zipf:", ZH_BENCH_DIST_ZIPF},
		     {"pareto:", ZH_BENCH_DIST_PARETO},
		     {"normal:", ZH_BENCH_DIST_NORMAL},
		     {"zoned:", ZH_BENCH_DIST_ZONED},
		     {"zoned_abs:", ZH_BENCH_DIST_ZONED_ABS}};
	struct zh_bench_dist d = {.kind = ZH_BENCH_DIST_RANDOM};
	const char *why = "expected random, zipf:THETA, pareto:H, normal[:DEV], zoned:A/R:... or "
			  "zoned_abs:A/LEN:...";
	char buf[4096];
	int rc = need_value(ctx);

	if (rc != 0)
		return rc;
	if (strlen(ctx->value) >= sizeof(buf))
		return bad_value(ctx, "too long");
	snprintf(buf, sizeof(buf), "%s", ctx->value);
	if (strchr(buf, ',') != NULL)
		return bad_value(ctx, "one distribution for reads and writes (no ',')");
	if (strcmp(buf, "normal") == 0) /* fio's deviation defaults to 0 */
		d.kind = ZH_BENCH_DIST_NORMAL;
	else if (strcmp(buf, "random") != 0) {
		size_t i = 0;

		while (i < sizeof(kinds) / sizeof(kinds[0]) &&
		       strncmp(buf, kinds[i].prefix, strlen(kinds[i].prefix)) != 0)
			i++;
		if (i == sizeof(kinds) / sizeof(kinds[0]))
			return bad_value(ctx, why);
		d.kind = kinds[i].kind;
		rc = d.kind == ZH_BENCH_DIST_ZONED || d.kind == ZH_BENCH_DIST_ZONED_ABS
			 ? parse_zones(buf + strlen(kinds[i].prefix), &d, &why)
			 : parse_dist_param(buf + strlen(kinds[i].prefix), &d, &why);
		if (rc != 0)
			return bad_value(ctx, why);
	}
	job->dist = d;
	return 0;
}

static int opt_bs(struct zh_bench_job *job, const struct opt_ctx *ctx)
{
	int rc = need_value(ctx);

	return rc != 0 ? rc : set_bs_fields(job, ctx, ZH_BENCH_BS_ONE, parse_bs_one);
}

static int opt_bsrange(struct zh_bench_job *job, const struct opt_ctx *ctx)
{
	int rc = need_value(ctx);

	return rc != 0 ? rc : set_bs_fields(job, ctx, ZH_BENCH_BS_RANGE, parse_bs_range);
}

static int opt_bssplit(struct zh_bench_job *job, const struct opt_ctx *ctx)
{
	int rc = need_value(ctx);

	return rc != 0 ? rc : set_bs_fields(job, ctx, ZH_BENCH_BS_SPLIT, parse_bs_split);
}

/*
 * blockalign (ba): the boundary random offsets fall on, READ[,WRITE[,TRIM]] as the block
 * sizes; an empty field leaves its direction as it was. fio's default is the direction's
 * smallest size (kept as 0 here, so a later bs= still moves it).
 */
static int opt_blockalign(struct zh_bench_job *job, const struct opt_ctx *ctx)
{
	char buf[128];
	const char *dir[2], *why;
	uint32_t v[2] = {job->blockalign[0], job->blockalign[1]};
	int rc = split_rw_dirs(ctx, buf, sizeof(buf), dir, "a trim alignment");

	if (rc != 0)
		return rc;
	for (int d = 0; d < 2; d++) {
		if (dir[d][0] != '\0' && parse_bs_bytes(dir[d], &v[d], &why) != 0)
			return bad_value(ctx, why);
	}
	job->blockalign[0] = v[0];
	job->blockalign[1] = v[1];
	return 0;
}

static int opt_size(struct zh_bench_job *job, const struct opt_ctx *ctx)
{
	const char *why;
	uint64_t bytes;
	uint32_t pct = 0;
	int rc = need_value(ctx);

	if (rc != 0)
		return rc;
	if (parse_size(ctx->value, &bytes, &pct, &why) != 0)
		return bad_value(ctx, why);
	job->size_bytes = bytes;
	job->size_pct = pct;
	return 0;
}

static int opt_offset(struct zh_bench_job *job, const struct opt_ctx *ctx)
{
	const char *why;
	uint64_t bytes;
	int rc = need_value(ctx);

	if (rc != 0)
		return rc;
	if (strchr(ctx->value, '%') != NULL)
		return bad_value(ctx,
				 "percentage offsets are not supported; expected a size like 1g");
	if (parse_size(ctx->value, &bytes, NULL, &why) != 0)
		return bad_value(ctx, why);
	job->offset_bytes = bytes;
	return 0;
}

/* A byte count into *out (io_size, offset_increment). */
static int size_value(const struct opt_ctx *ctx, uint64_t *out)
{
	const char *why;
	int rc = need_value(ctx);

	if (rc != 0)
		return rc;
	if (parse_size(ctx->value, out, NULL, &why) != 0)
		return bad_value(ctx, why);
	return 0;
}

static int opt_compress_chunk(struct zh_bench_job *job, const struct opt_ctx *ctx)
{
	uint64_t bytes;
	int rc = size_value(ctx, &bytes);

	if (rc != 0)
		return rc;
	if (bytes == 0 || bytes > ZH_BENCH_BS_MAX_BYTES)
		return bad_value(ctx, "expected a size like 512, from 1 byte to 1g");
	job->compress_chunk_bytes = (uint32_t)bytes;
	return 0;
}

/* zhtp's own: zstd_level=auto (the store's default) or a fixed level 0..19, as zhtpctl's. */
static int opt_zstd_level(struct zh_bench_job *job, const struct opt_ctx *ctx)
{
	int rc = need_value(ctx);
	long level;

	if (rc != 0)
		return rc;
	if (strcmp(ctx->value, "auto") == 0) {
		job->zstd_level = ZH_BENCH_ZSTD_AUTO;
		return 0;
	}
	if (parse_long_in(ctx->value, 0, 19, &level) != 0)
		return bad_value(ctx, "expected auto or a level from 0 (no compression) to 19");
	job->zstd_level = (int)level;
	return 0;
}

/* filesize: one size; fio's range (a size drawn per file) is refused. */
static int opt_filesize(struct zh_bench_job *job, const struct opt_ctx *ctx)
{
	if (ctx->value != NULL && strchr(ctx->value, '-') != NULL)
		return bad_value(ctx, "a range of file sizes is not supported; give one size");
	return size_value(ctx, &job->filesize_bytes);
}

/* continue_on_error: fio's names (and 0, 1) for which failures a job counts and goes on. */
static int opt_continue_on_error(struct zh_bench_job *job, const struct opt_ctx *ctx)
{
	static const struct choice modes[] = {
	    {"none", 0},
	    {"0", 0},
	    {"read", ZH_BENCH_CONTINUE_READ},
	    {"write", ZH_BENCH_CONTINUE_WRITE},
	    {"io", ZH_BENCH_CONTINUE_READ | ZH_BENCH_CONTINUE_WRITE},
	    {"verify", ZH_BENCH_CONTINUE_VERIFY},
	    {"all", ZH_BENCH_CONTINUE_READ | ZH_BENCH_CONTINUE_WRITE | ZH_BENCH_CONTINUE_VERIFY},
	    {"1", ZH_BENCH_CONTINUE_READ | ZH_BENCH_CONTINUE_WRITE | ZH_BENCH_CONTINUE_VERIFY},
	};
	unsigned mode;
	int rc = need_value(ctx);

	if (rc != 0)
		return rc;
	if (find_choice(ctx->value, modes, sizeof(modes) / sizeof(modes[0]), &mode) != 0)
		return bad_value(ctx, "expected none, read, write, io, verify, all, 0 or 1");
	job->continue_on_error = mode;
	return 0;
}

/*
 * io_submit_mode: inline is how the engine runs. fio's offload hands a synchronous engine's
 * I/O to helper threads; fio refuses it with io_uring, and so does zhtp-bench.
 */
static int opt_io_submit_mode(struct zh_bench_job *job, const struct opt_ctx *ctx)
{
	int rc = need_value(ctx);

	(void)job;
	if (rc != 0)
		return rc;
	if (strcmp(ctx->value, "offload") == 0)
		return bad_value(ctx, "offload is for synchronous engines; the reactors submit "
				      "asynchronously (fio refuses offload with io_uring too)");
	if (strcmp(ctx->value, "inline") != 0)
		return bad_value(ctx, "expected inline");
	return 0;
}

/* nrfiles: files per clone, 1 to ZH_BENCH_FILES_MAX (filename's names win, as in fio). */
static int opt_nrfiles(struct zh_bench_job *job, const struct opt_ctx *ctx)
{
	const char *why;
	uint64_t n;
	int rc = need_value(ctx);

	if (rc != 0)
		return rc;
	if (parse_u64(ctx->value, &n, &why) != 0 || n < 1 || n > ZH_BENCH_FILES_MAX)
		return bad_value(ctx, "expected a number of files from 1 to 16");
	job->nrfiles = (uint32_t)n;
	return 0;
}

/*
 * file_service_type: roundrobin (fio's default, a block from each file in turn), random (a
 * file drawn for each I/O) or sequential (one file's I/O after the other's); roundrobin:N and
 * random:N do N I/Os on a file before going on to the next.
 */
static int opt_file_service_type(struct zh_bench_job *job, const struct opt_ctx *ctx)
{
	const char *colon, *why;
	size_t kind_len;
	uint64_t every = 1;
	int rc = need_value(ctx);

	if (rc != 0)
		return rc;
	colon = strchr(ctx->value, ':');
	kind_len = colon != NULL ? (size_t)(colon - ctx->value) : strlen(ctx->value);
	if (!(kind_len == 10 && strncmp(ctx->value, "roundrobin", 10) == 0) &&
	    !(kind_len == 6 && strncmp(ctx->value, "random", 6) == 0) &&
	    strcmp(ctx->value, "sequential") != 0)
		return bad_value(ctx, "expected roundrobin[:N], random[:N] or sequential (zipf, "
				      "pareto and normal are not supported)");
	if (colon != NULL &&
	    (parse_u64(colon + 1, &every, &why) != 0 || every == 0 || every > UINT32_MAX))
		return bad_value(ctx, "the switch count N of roundrobin:N or random:N is a whole "
				      "number of I/Os from 1");
	job->file_service_sequential = strcmp(ctx->value, "sequential") == 0;
	job->file_service_random = kind_len == 6;
	job->file_service_every = (uint32_t)every;
	return 0;
}

/* zonemode: none or strided; zbd (zoned block devices' write pointers) is refused. */
static int opt_zonemode(struct zh_bench_job *job, const struct opt_ctx *ctx)
{
	int rc = need_value(ctx);

	if (rc != 0)
		return rc;
	if (strcmp(ctx->value, "none") != 0 && strcmp(ctx->value, "strided") != 0)
		return bad_value(ctx, "expected none or strided (zbd is not supported)");
	job->zone_strided = strcmp(ctx->value, "strided") == 0;
	return 0;
}

static int opt_number_ios(struct zh_bench_job *job, const struct opt_ctx *ctx)
{
	const char *why;
	int rc = need_value(ctx);

	if (rc != 0)
		return rc;
	if (parse_u64(ctx->value, &job->number_ios, &why) != 0)
		return bad_value(ctx, why);
	return 0;
}

static int pct_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * The report's keys are the percentiles as "%f" prints them (fio's): two that print alike would
 * be one JSON key twice. \p v is sorted, so such two are neighbours.
 */
static int pct_distinct(const struct opt_ctx *ctx, const double *v, uint32_t n)
{
	char a[64], b[64], why[96];

	for (uint32_t i = 1; i < n; i++) {
		snprintf(a, sizeof(a), "%f", v[i - 1]);
		snprintf(b, sizeof(b), "%f", v[i]);
		if (strcmp(a, b) == 0) {
			snprintf(why, sizeof(why), "%s is listed twice", a);
			return bad_value(ctx, why);
		}
	}
	return 0;
}

/* fio's percentile_list: up to 20 numbers in (0, 100] separated by ':', reported ascending. */
static int opt_percentile_list(struct zh_bench_job *job, const struct opt_ctx *ctx)
{
	double v[ZH_BENCH_PCT_MAX];
	uint32_t n = 0;
	const char *p;
	int rc = need_value(ctx);

	if (rc != 0)
		return rc;
	for (p = ctx->value;; p++) {
		char *end;

		if (n == ZH_BENCH_PCT_MAX)
			return bad_value(ctx, "at most 20 percentiles");
		errno = 0;
		v[n] = strtod(p, &end);
		if (end == p || errno != 0 || !(v[n] > 0.0 && v[n] <= 100.0) ||
		    (*end != ':' && *end != '\0'))
			return bad_value(ctx, "expected numbers in (0, 100] separated by ':'");
		n++;
		p = end;
		if (*p == '\0')
			break;
	}
	qsort(v, n, sizeof(v[0]), pct_cmp);
	rc = pct_distinct(ctx, v, n);
	if (rc != 0)
		return rc;
	memcpy(job->pct_list, v, n * sizeof(v[0]));
	job->pct_count = n;
	return 0;
}

/* fio's buffered is direct inverted: the one given last wins. */
static int opt_buffered(struct zh_bench_job *job, const struct opt_ctx *ctx)
{
	const char *why = "expected 0 or 1";
	bool buffered;

	if (parse_bool(ctx->value, &buffered, &why) != 0)
		return bad_value(ctx, why);
	job->direct = !buffered;
	return 0;
}

static int opt_refill_buffers(struct zh_bench_job *job, const struct opt_ctx *ctx)
{
	const char *why;

	if (parse_bool(ctx->value, &job->refill_buffers, &why) != 0)
		return bad_value(ctx, why);
	job->refill_buffers_set = true;
	return 0;
}

static int opt_randseed(struct zh_bench_job *job, const struct opt_ctx *ctx)
{
	const char *why;
	uint64_t v;
	int rc = need_value(ctx);

	if (rc != 0)
		return rc;
	if (parse_u64(ctx->value, &v, &why) != 0)
		return bad_value(ctx, why);
	job->randseed = v;
	job->randseed_set = true;
	return 0;
}

/* A NUMA node list ("0-1,3", or "all" where \p all_ok) into \p out (64 bytes). */
static int node_list(const struct opt_ctx *ctx, const char *list, bool all_ok, char *out)
{
	const char *why;

	if (all_ok && strcmp(list, "all") == 0) {
		out[0] = '\0';
		return 0;
	}
	if (strlen(list) >= 64)
		return bad_value(ctx, "too long (at most 63 bytes)");
	if (check_cpu_list(list, &why) != 0)
		return bad_value(ctx, "expected a NUMA node list like 0-1,3 or all");
	snprintf(out, 64, "%s", list);
	return 0;
}

/* numa_cpu_nodes: the job runs on the cores of these nodes. */
static int opt_numa_cpu_nodes(struct zh_bench_job *job, const struct opt_ctx *ctx)
{
	int rc = need_value(ctx);

	return rc != 0 ? rc : node_list(ctx, ctx->value, true, job->numa_cpu_nodes);
}

/*
 * numa_mem_policy=MODE[:NODES]: default and local are the engine's rule (each reactor's
 * buffers on its own node); bind and prefer are checked against the job's cores when the
 * group is planned; interleave would spread a reactor's buffers over nodes, which it never
 * does, so it is refused.
 */
static int opt_numa_mem_policy(struct zh_bench_job *job, const struct opt_ctx *ctx)
{
	const char *v = ctx->value, *colon;
	int rc = need_value(ctx);

	if (rc != 0)
		return rc;
	colon = strchr(v, ':');
	if (strcmp(v, "default") == 0 || strcmp(v, "local") == 0) {
		job->numa_mem_bind = false;
		return 0;
	}
	if (colon != NULL && ((colon - v == 4 && strncmp(v, "bind", 4) == 0) ||
			      (colon - v == 6 && strncmp(v, "prefer", 6) == 0))) {
		if (v[0] == 'p' && strpbrk(colon + 1, ",-") != NULL)
			return bad_value(ctx, "prefer takes one node, as in prefer:0");
		rc = node_list(ctx, colon + 1, v[0] == 'b', job->numa_mem_nodes);
		if (rc == 0)
			job->numa_mem_bind = job->numa_mem_nodes[0] != '\0';
		return rc;
	}
	return bad_value(ctx, "expected default, local, bind:NODES or prefer:NODE (interleave is "
			      "not supported: a reactor keeps its buffers on its own node)");
}

/* cpumask: fio's bit mask of cores (decimal or 0x hex), kept as the cpus_allowed list. */
static int opt_cpumask(struct zh_bench_job *job, const struct opt_ctx *ctx)
{
	char list[sizeof(job->cpus_allowed)];
	const char *why;
	uint64_t mask;
	size_t n = 0;
	int rc = need_value(ctx);

	if (rc != 0)
		return rc;
	if (parse_u64(ctx->value, &mask, &why) != 0 || mask == 0)
		return bad_value(ctx, "expected a non-zero mask of cores, as in 0xf (cores 0-3)");
	list[0] = '\0';
	for (unsigned cpu = 0; cpu < 64; cpu++) {
		if ((mask >> cpu) & 1)
			n +=
			    (size_t)snprintf(list + n, sizeof(list) - n, "%s%u", n ? "," : "", cpu);
	}
	snprintf(job->cpus_allowed, sizeof(job->cpus_allowed), "%s", list);
	return 0;
}

/*
 * cpus_allowed_policy: split, each clone on a core of its own, is how zhtp-bench places
 * clones (a reactor is pinned to one core); fio's shared (every clone floating over the whole
 * set) is refused.
 */
static int opt_cpus_allowed_policy(struct zh_bench_job *job, const struct opt_ctx *ctx)
{
	int rc = need_value(ctx);

	(void)job;
	if (rc != 0)
		return rc;
	if (strcmp(ctx->value, "shared") == 0)
		return bad_value(ctx, "shared is not supported: each clone's reactor is pinned to "
				      "a core of cpus_allowed in turn (split)");
	if (strcmp(ctx->value, "split") != 0)
		return bad_value(ctx, "expected split");
	return 0;
}

static int opt_cpus_allowed(struct zh_bench_job *job, const struct opt_ctx *ctx)
{
	const char *why;
	int rc = need_value(ctx);

	if (rc != 0)
		return rc;
	if (strlen(ctx->value) >= sizeof(job->cpus_allowed))
		return bad_value(ctx, "too long (at most 255 bytes)");
	if (check_cpu_list(ctx->value, &why) != 0)
		return bad_value(ctx, why);
	snprintf(job->cpus_allowed, sizeof(job->cpus_allowed), "%s", ctx->value);
	return 0;
}

#define JOB_FIELD(f) offsetof(struct zh_bench_job, f)
#define JOB_CAP(f)   sizeof(((struct zh_bench_job *)0)->f)
#define O_BOOL(n, f)                                                                               \
	{                                                                                          \
		.name = n, .kind = OPT_BOOL, .off = JOB_FIELD(f)                                   \
	}
#define O_U32(n, f, lo, hi)                                                                        \
	{                                                                                          \
		.name = n, .kind = OPT_U32, .off = JOB_FIELD(f), .min = lo, .max = hi              \
	}
#define O_SIZE(n, f)                                                                               \
	{                                                                                          \
		.name = n, .kind = OPT_SIZE, .off = JOB_FIELD(f)                                   \
	}
#define O_TIME(n, f)                                                                               \
	{                                                                                          \
		.name = n, .kind = OPT_TIME, .off = JOB_FIELD(f)                                   \
	}
#define O_STR(n, f, empty)                                                                         \
	{                                                                                          \
		.name = n, .kind = OPT_STR, .off = JOB_FIELD(f), .cap = JOB_CAP(f),                \
		.allow_empty = empty                                                               \
	}
#define O_PATH(n, f)                                                                               \
	{                                                                                          \
		.name = n, .kind = OPT_PATH, .off = JOB_FIELD(f), .cap = JOB_CAP(f)                \
	}
#define O_NAMES(n, f)                                                                              \
	{                                                                                          \
		.name = n, .kind = OPT_NAMES, .off = JOB_FIELD(f), .cap = JOB_CAP(f)               \
	}
#define O_LOG(n, f, flag)                                                                          \
	{                                                                                          \
		.name = n, .kind = OPT_LOG, .off = JOB_FIELD(f), .cap = JOB_CAP(f),                \
		.flag_off = JOB_FIELD(flag)                                                        \
	}
#define O_FN(n, f)                                                                                 \
	{                                                                                          \
		.name = n, .kind = OPT_FN, .fn = f                                                 \
	}

static const struct opt_desc job_options[] = {
    O_STR("name", name, false),
    O_STR("description", description, true),
    O_FN("rw", opt_rw),
    O_FN("readwrite", opt_rw),
    O_FN("rw_sequencer", opt_rw_sequencer),
    O_FN("rwmixread", opt_rwmixread),
    O_FN("rwmixwrite", opt_rwmixwrite),
    O_FN("bs", opt_bs),
    O_FN("blocksize", opt_bs),
    O_FN("bsrange", opt_bsrange),
    O_FN("blocksize_range", opt_bsrange),
    O_FN("bssplit", opt_bssplit),
    O_FN("blockalign", opt_blockalign),
    O_FN("ba", opt_blockalign),
    O_FN("random_distribution", opt_random_distribution),
    O_FN("random_generator", opt_random_generator),
    O_FN("percentage_random", opt_percentage_random),
    O_U32("iodepth", iodepth, 1, ZH_BENCH_IODEPTH_MAX),
    O_U32("numjobs", numjobs, 1, ZH_BENCH_NUMJOBS_MAX),
    O_FN("size", opt_size),
    O_FN("offset", opt_offset),
    O_SIZE("offset_increment", offset_increment_bytes),
    O_FN("filesize", opt_filesize),
    O_FN("nrfiles", opt_nrfiles),
    O_FN("file_service_type", opt_file_service_type),
    O_FN("io_submit_mode", opt_io_submit_mode),
    O_FN("continue_on_error", opt_continue_on_error),
    O_U32("fault_eio_ppm", fault_eio_ppm, 0, 1000000),
    O_U32("fault_short_ppm", fault_short_ppm, 0, 1000000),
    O_U32("fault_torn_ppm", fault_torn_ppm, 0, 1000000),
    O_SIZE("io_size", io_size_bytes),
    O_SIZE("io_limit", io_size_bytes),
    O_FN("number_ios", opt_number_ios),
    O_FN("zonemode", opt_zonemode),
    O_SIZE("zonesize", zone_size_bytes),
    O_SIZE("zonerange", zone_range_bytes),
    O_SIZE("zoneskip", zone_skip_bytes),
    O_U32("loops", loops, 1, 1000000),
    O_TIME("runtime", runtime_ns),
    O_TIME("timeout", runtime_ns),
    O_TIME("ramp_time", ramp_ns),
    O_FN("startdelay", opt_startdelay),
    O_BOOL("time_based", time_based),
    O_NAMES("filename", filename),
    O_PATH("directory", directory),
    O_BOOL("unlink", unlink),
    O_BOOL("fill_device", fill_device),
    O_BOOL("fill_fs", fill_device),
    O_BOOL("create_serialize", create_serialize),
    O_PATH("key_file", key_file),
    O_FN("zstd_level", opt_zstd_level),
    O_BOOL("direct", direct),
    O_FN("buffered", opt_buffered),
    O_FN("cpus_allowed", opt_cpus_allowed),
    O_FN("cpumask", opt_cpumask),
    O_FN("cpus_allowed_policy", opt_cpus_allowed_policy),
    O_FN("numa_cpu_nodes", opt_numa_cpu_nodes),
    O_FN("numa_mem_policy", opt_numa_mem_policy),
    O_BOOL("randrepeat", randrepeat),
    O_FN("randseed", opt_randseed),
    O_BOOL("stonewall", stonewall),
    O_BOOL("wait_for_previous", stonewall),
    O_BOOL("group_reporting", group_reporting),
    O_FN("unified_rw_reporting", opt_unified_rw_reporting),
    O_BOOL("exitall", exitall),
    O_BOOL("exitall_on_error", exitall_on_error),
    O_LOG("write_iops_log", iops_log, iops_log_use_name),
    O_LOG("write_bw_log", bw_log, bw_log_use_name),
    O_LOG("write_lat_log", lat_log, lat_log_use_name),
    O_U32("log_avg_msec", log_avg_msec, 0, UINT32_MAX),
    O_U32("bwavgtime", bw_avg_ms, 1, 3600000),
    O_U32("iopsavgtime", iops_avg_ms, 1, 3600000),
    O_BOOL("log_offset", log_offset),
    O_U32("fsync", fsync_blocks, 0, UINT32_MAX),
    O_U32("fdatasync", fdatasync_blocks, 0, UINT32_MAX),
    O_BOOL("end_fsync", end_fsync),
    O_FN("sync", opt_sync),
    O_FN("percentile_list", opt_percentile_list),
    O_BOOL("slat_percentiles", slat_percentiles),
    O_BOOL("clat_percentiles", clat_percentiles),
    O_BOOL("lat_percentiles", lat_percentiles),
    O_U32("buffer_compress_percentage", compress_pct, 0, 100),
    O_FN("buffer_compress_chunk", opt_compress_chunk),
    O_BOOL("zero_buffers", zero_buffers),
    O_FN("refill_buffers", opt_refill_buffers),
    O_BOOL("scramble_buffers", scramble_buffers),
    O_FN("rate", opt_rate),
    O_FN("rate_iops", opt_rate_iops),
    O_FN("rate_process", opt_rate_process),
    O_FN("thinktime", opt_thinktime),
    O_FN("gtod_reduce", opt_gtod_reduce),
    O_BOOL("disable_slat", disable_slat),
    O_BOOL("disable_clat", disable_clat),
    O_BOOL("disable_lat", disable_lat),
    O_BOOL("disable_bw_measurement", disable_bw),
    O_BOOL("disable_bw", disable_bw),
    O_U32("thinktime_blocks", think_blocks, 1, UINT32_MAX),
    O_FN("thinktime_blocks_type", opt_thinktime_blocks_type),
    O_FN("thinktime_spin", opt_think_zero_only),
    O_FN("thinktime_iotime", opt_think_zero_only),
    O_FN("latency_target", opt_latency_target),
    O_FN("latency_window", opt_latency_window),
    O_FN("latency_percentile", opt_latency_percentile),
    O_BOOL("latency_run", lat_run),
    O_FN("max_latency", opt_max_latency),
    O_FN("steadystate", opt_steadystate),
    O_FN("ss", opt_steadystate),
    O_FN("steadystate_duration", opt_steadystate_duration),
    O_FN("ss_dur", opt_steadystate_duration),
    O_TIME("steadystate_ramp_time", ss_ramp_ns),
    O_TIME("ss_ramp", ss_ramp_ns),
    O_FN("verify", opt_verify),
    O_FN("verify_pattern", opt_verify_pattern),
    O_SIZE("verify_interval", verify_interval),
    O_FN("buffer_pattern", opt_buffer_pattern),
    O_BOOL("do_verify", do_verify),
    O_U32("verify_backlog", verify_backlog, 0, ZH_BENCH_VERIFY_BACKLOG_MAX),
    O_U32("verify_backlog_batch", verify_backlog_batch, 0, ZH_BENCH_VERIFY_BACKLOG_MAX),
    O_BOOL("verify_dump", verify_dump),
    O_FN("flow", opt_flow),
    O_U32("flow_id", flow_id, 0, UINT32_MAX),
    O_U32("flow_watermark", flow_watermark, 0, UINT32_MAX),
    O_FN("flow_sleep", opt_flow_sleep),
    O_BOOL("verify_fatal", verify_fatal),
    O_STR("ioengine", ioengine, false),
    O_BOOL("norandommap", norandommap),
    O_U32("threads", threads, 1, ZH_BENCH_NUMJOBS_MAX),
    O_BOOL("new_group", new_group),
    O_BOOL("thread", thread),
    O_BOOL("invalidate", invalidate),
    O_BOOL("fixedbufs", fixedbufs),
    O_BOOL("registerfiles", registerfiles),
    /* The engine's submit_batch (bench_plan.c). */
    O_U32("iodepth_batch_submit", iodepth_batch_submit, 0, ZH_BENCH_IODEPTH_MAX),
    O_U32("iodepth_batch", iodepth_batch_submit, 0, ZH_BENCH_IODEPTH_MAX),
    /* How many completions a sleeping reactor waits for is the engine's (an eighth of those in
       flight, zh_engine_opts.wake_batch_div), so only fio's default of 0 or 1 is accepted; it
       takes every ready one, submitting again every submit_batch: complete_max, which caps how
       many fio takes before it queues again, is recorded only. */
    O_U32("iodepth_batch_complete_min", iodepth_batch_complete_min, 0, 1),
    O_U32("iodepth_batch_complete_max", iodepth_batch_complete_max, 0, ZH_BENCH_IODEPTH_MAX),
};

static int set_u32(struct zh_bench_job *job, const struct opt_desc *d, const struct opt_ctx *ctx)
{
	char why[64];
	const char *ignored;
	uint64_t v;
	int rc = need_value(ctx);

	if (rc != 0)
		return rc;
	if (parse_u64(ctx->value, &v, &ignored) == 0 && v >= d->min && v <= d->max) {
		*(uint32_t *)((char *)job + d->off) = (uint32_t)v;
		return 0;
	}
	snprintf(why, sizeof(why), "expected an integer from %u to %u", d->min, d->max);
	return bad_value(ctx, why);
}

/*
 * Copy a string value. For paths, fio reads ':' as a separator between several directories
 * and "\:" as a literal colon; one directory per job is supported, so a bare ':' is refused.
 * Names (filename) keep their ':' list and escapes as written, for zh_bench_job_file_name.
 */
static int set_str(char *dst, const struct opt_desc *d, const struct opt_ctx *ctx)
{
	char tmp[ZH_BENCH_PATH_MAX];
	size_t o = 0;

	ZH_ASSERT(d->cap <= sizeof(tmp));
	if (ctx->value[0] == '\0' && !d->allow_empty)
		return bad_value(ctx, "expected a non-empty value");
	/*
	 * Free text (name, ioengine, description): the first two reach the JSON report, which
	 * strict parsers refuse with bytes that are not UTF-8. Paths, bytes to the kernel, do not.
	 */
	if (d->kind == OPT_STR && !utf8_valid(ctx->value)) {
		char k[SHOW_MAX];

		set_err(ctx->err, ctx->err_len, "the value of '%s%s' is not valid UTF-8",
			ctx->prefix, show(k, sizeof(k), ctx->key));
		return -EINVAL;
	}
	for (const char *p = ctx->value; *p != '\0'; p++) {
		char c = *p;

		if (is_ctrl(c))
			return bad_value(ctx, "control characters are not allowed");
		if (d->kind == OPT_PATH && c == '\\' && p[1] == ':') {
			c = ':';
			p++;
		} else if (d->kind == OPT_PATH && c == ':') {
			return bad_value(ctx, "several directories (':' separated) are not "
					      "supported; write '\\:' for a literal colon");
		}
		if (o + 1 >= d->cap) {
			char why[64];

			snprintf(why, sizeof(why), "too long (at most %zu bytes)", d->cap - 1);
			return bad_value(ctx, why);
		}
		tmp[o++] = c;
	}
	memcpy(dst, tmp, o);
	dst[o] = '\0';
	return 0;
}

static int apply_desc(struct zh_bench_job *job, const struct opt_desc *d, const struct opt_ctx *ctx)
{
	char *field = (char *)job + d->off;
	const char *why;
	uint64_t v;
	bool b;
	int rc;

	switch (d->kind) {
	case OPT_BOOL:
		if (parse_bool(ctx->value, &b, &why) != 0)
			return bad_value(ctx, why);
		*(bool *)field = b;
		return 0;
	case OPT_U32:
		return set_u32(job, d, ctx);
	case OPT_SIZE:
		return size_value(ctx, (uint64_t *)field);
	case OPT_TIME:
		rc = need_value(ctx);
		if (rc != 0)
			return rc;
		if (parse_time_ns(ctx->value, &v, &why) != 0)
			return bad_value(ctx, why);
		*(uint64_t *)field = v;
		return 0;
	case OPT_LOG:
		if (ctx->value == NULL) {
			field[0] = '\0';
			*(bool *)((char *)job + d->flag_off) = true;
			return 0;
		}
		rc = set_str(field, d, ctx);
		if (rc == 0)
			*(bool *)((char *)job + d->flag_off) = false;
		return rc;
	case OPT_STR:
	case OPT_PATH:
	case OPT_NAMES:
		rc = need_value(ctx);
		return rc != 0 ? rc : set_str(field, d, ctx);
	case OPT_FN:
		return d->fn(job, ctx);
	}
	ZH_ASSERT(!"unknown option kind");
	return -EINVAL;
}

static int job_set(struct zh_bench_job *job, const char *key, const char *value, const char *prefix,
		   char *err, size_t err_len)
{
	const struct opt_ctx ctx = {
	    .prefix = prefix, .key = key, .value = value, .err = err, .err_len = err_len};
	char k[SHOW_MAX];

	ZH_ASSERT(job != NULL);
	ZH_ASSERT(key != NULL);
	for (size_t i = 0; i < sizeof(job_options) / sizeof(job_options[0]); i++) {
		if (strcmp(key, job_options[i].name) == 0)
			return apply_desc(job, &job_options[i], &ctx);
	}
	set_err(err, err_len, "unknown option '%s%s'", prefix, show(k, sizeof(k), key));
	return -ENOENT;
}

void zh_bench_job_defaults(struct zh_bench_job *job)
{
	ZH_ASSERT(job != NULL);
	memset(job, 0, sizeof(*job));
	job->rw = ZH_BENCH_RW_READ;
	job->rwmixread_pct = 50;
	job->random_pct[0] = 100;
	job->random_pct[1] = 100;
	job->lat_percentile = 100.0;
	/* fio's default criterion; it only applies once ss_dur is set. */
	job->ss = (struct zh_bench_ss_opts){.slope = true, .pct = true, .limit = 0.01};
	job->seq_every = 1;
	job->nrfiles = 1;
	job->file_service_every = 1;
	zh_bench_bs_one(&job->bs[0], 4096);
	zh_bench_bs_one(&job->bs[1], 4096);
	job->iodepth = 1;
	job->iodepth_batch_submit = 1; /* fio's default: every I/O submitted when queued */
	job->numjobs = 1;
	job->randrepeat = true;
	job->randseed = 0x89;
	job->invalidate = true;
	job->create_serialize = true;
	job->do_verify = true;
	job->loops = 1;
	job->compress_chunk_bytes = ZH_BENCH_COMPRESS_CHUNK_DEFAULT;
	job->zstd_level = ZH_BENCH_ZSTD_AUTO;
	job->think_blocks = 1;
	job->scramble_buffers = true;
	job->clat_percentiles = true;
}

struct zh_bench_data zh_bench_job_data(const struct zh_bench_job *job)
{
	uint32_t pct = job->zero_buffers ? 100 : job->compress_pct;
	/*
	 * fio's rule: a compressible buffer is refilled for every write unless the job says.
	 * Object jobs never refill: each put is made distinct where it starts (bench_object.c).
	 */
	bool block = !zh_bench_rw_is_object(job->rw);
	bool patterned = job->buffer_pattern.len != 0;
	bool refill =
	    block && (job->refill_buffers_set ? job->refill_buffers : pct > 0 && pct < 100);
	/* fio scrambles only a buffer nothing else rewrites: no refill, compression or verify. */
	bool scramble = block && job->scramble_buffers && !refill && !job->verify && !patterned &&
			(job->compress_pct == 0 || job->compress_pct == 100);
	struct zh_bench_data d = {.compress_pct = pct,
				  .chunk_bytes = job->compress_chunk_bytes,
				  .refill = refill,
				  .scramble = scramble};

	/* fio's rule: a pattern is copied again for every write when reads share the buffers. */
	if (patterned) {
		d.pattern = job->buffer_pattern;
		d.refill = block && zh_bench_job_read_pct(job) > 0;
	}
	return d;
}

int zh_bench_job_set(struct zh_bench_job *job, const char *key, const char *value, char *err,
		     size_t err_len)
{
	return job_set(job, key, value, "", err, err_len);
}

static void resolve_log(char *log, bool *use_name, const char *name)
{
	if (!*use_name)
		return;
	snprintf(log, ZH_BENCH_PATH_MAX, "%s", name);
	*use_name = false;
}

static bool job_rated(const struct zh_bench_job *job)
{
	return (job->rate_bytes[0] | job->rate_bytes[1] | job->rate_iops[0] | job->rate_iops[1]) !=
	       0;
}

uint32_t zh_bench_job_read_pct(const struct zh_bench_job *job)
{
	switch (job->rw) {
	case ZH_BENCH_RW_READ:
	case ZH_BENCH_RW_RANDREAD:
	case ZH_BENCH_RW_GET:
		return 100;
	case ZH_BENCH_RW_WRITE:
	case ZH_BENCH_RW_RANDWRITE:
	case ZH_BENCH_RW_PUT:
		return 0;
	case ZH_BENCH_RW_RW:
	case ZH_BENCH_RW_RANDRW:
		break;
	}
	return job->rwmixread_pct;
}

/* The directions \p job's I/O goes in: bit 0 reads, bit 1 writes. */
static unsigned job_dirs(const struct zh_bench_job *job)
{
	uint32_t pct = zh_bench_job_read_pct(job);

	return (pct > 0 ? 1u : 0u) | (pct < 100 ? 2u : 0u);
}

uint32_t zh_bench_job_bs(const struct zh_bench_job *job)
{
	uint32_t one = 0;

	for (unsigned d = 0; d < 2; d++) {
		const struct zh_bench_bs *bs = &job->bs[d];

		if ((job_dirs(job) & (1u << d)) == 0)
			continue;
		if (zh_bench_bs_varies(bs) || (one != 0 && bs->min_bytes != one))
			return 0;
		one = bs->min_bytes;
	}
	return one;
}

uint32_t zh_bench_job_bs_max(const struct zh_bench_job *job)
{
	uint32_t max = 0;

	for (unsigned d = 0; d < 2; d++) {
		if ((job_dirs(job) & (1u << d)) != 0 && job->bs[d].max_bytes > max)
			max = job->bs[d].max_bytes;
	}
	return max;
}

/*
 * verify_pattern without verify= means verify=pattern, as in fio (which otherwise only fills
 * the write buffers with it: that is refused, a pattern is checked here); verify=pattern
 * needs a pattern; buffer_pattern decides what writes hold, so it goes alone.
 */
static int job_check_pattern(struct zh_bench_job *job, char *err, size_t err_len)
{
	if (job->verify_pattern.len != 0 && !job->verify_set) {
		job->verify = true;
		job->verify_kind = ZH_BENCH_VERIFY_PATTERN;
	}
	if (job->verify_pattern.len != 0 && !job->verify) {
		set_err(err, err_len,
			"job '%s': 'verify_pattern' with verify=0: a pattern is for verifying here",
			job->name);
		return -EINVAL;
	}
	if (job->verify && job->verify_kind == ZH_BENCH_VERIFY_PATTERN &&
	    job->verify_pattern.len == 0) {
		set_err(err, err_len, "job '%s': verify=pattern needs a 'verify_pattern'",
			job->name);
		return -EINVAL;
	}
	if (job->buffer_pattern.len != 0 &&
	    (job->verify || zh_bench_rw_is_object(job->rw) || job->zero_buffers ||
	     job->compress_pct != 0 || job->refill_buffers_set)) {
		set_err(err, err_len,
			"job '%s': 'buffer_pattern' is what a block job writes: not with 'verify' "
			"(use verify_pattern), 'zero_buffers', 'buffer_compress_percentage' or "
			"'refill_buffers'",
			job->name);
		return -EINVAL;
	}
	return 0;
}

/* Where filename's \p i-th name starts (names end at a ':' not after a '\\', as in fio's
 * get_next_str), or NULL past the last one. */
static const char *file_name_at(const char *list, uint32_t i)
{
	const char *s = list;

	for (; i > 0; i--) {
		for (; *s != '\0' && *s != ':'; s++) {
			if (*s == '\\' && s[1] == ':')
				s++;
		}
		if (*s == '\0')
			return NULL;
		s++;
	}
	return s;
}

int zh_bench_job_file_name(const struct zh_bench_job *job, uint32_t i, char *out, size_t len)
{
	const char *s = file_name_at(job->filename, i);
	size_t n = 0;

	ZH_ASSERT(len > 0);
	if (s == NULL)
		return -ENOENT;
	for (; *s != '\0' && *s != ':'; s++) {
		if (*s == '\\' && s[1] == ':')
			s++;
		if (n + 1 == len)
			return -ENAMETOOLONG;
		out[n++] = *s;
	}
	out[n] = '\0';
	return 0;
}

uint32_t zh_bench_job_file_count(const struct zh_bench_job *job)
{
	uint32_t n = 0;

	if (job->filename[0] == '\0')
		return job->nrfiles;
	/* One past the most a job takes is enough to refuse it. */
	while (n <= ZH_BENCH_FILES_MAX && file_name_at(job->filename, n) != NULL)
		n++;
	return n;
}

/*
 * verify_backlog: checks a verifying writer's blocks as it goes, a whole backlog each time. A
 * rate or a think releases parked writes past the backlog's reads, so they are not taken.
 */
static int job_check_backlog(const struct zh_bench_job *job, char *err, size_t err_len)
{
	if (job->verify_backlog == 0 && job->verify_backlog_batch == 0)
		return 0;
	if (!job->verify || zh_bench_job_read_pct(job) == 100) {
		set_err(err, err_len,
			"job '%s': 'verify_backlog' is for a writing job with 'verify'", job->name);
		return -EINVAL;
	}
	if (job->verify_backlog_batch != 0 && job->verify_backlog_batch != job->verify_backlog) {
		set_err(
		    err, err_len,
		    "job '%s': 'verify_backlog_batch' must be 0 or equal 'verify_backlog': each "
		    "check reads back every block of the backlog",
		    job->name);
		return -EINVAL;
	}
	if (job_rated(job) || job->think_ns != 0) {
		set_err(err, err_len,
			"job '%s': 'verify_backlog' with 'rate', 'rate_iops' or 'thinktime': paced "
			"writes would go out ahead of the backlog's reads",
			job->name);
		return -EINVAL;
	}
	return 0;
}

/* flow waits its turn on the slow path's parked slots, which a rate or a think also use. */
static int job_check_flow(const struct zh_bench_job *job, char *err, size_t err_len)
{
	if (job->flow == 0)
		return 0;
	if (zh_bench_rw_is_object(job->rw) || job_rated(job) || job->think_ns != 0 ||
	    job->lat_target_ns != 0 || job->verify_backlog != 0) {
		set_err(err, err_len,
			"job '%s': 'flow' is for block jobs without 'rate', 'rate_iops', "
			"'thinktime', 'latency_target' or 'verify_backlog' (each paces the job "
			"its own way)",
			job->name);
		return -EINVAL;
	}
	return 0;
}

/* fill_device sizes one file by its filesystem (or is a device's size): nothing else may. */
static int job_check_fill(const struct zh_bench_job *job, char *err, size_t err_len)
{
	if (!job->fill_device)
		return 0;
	if (zh_bench_rw_is_object(job->rw) || zh_bench_job_file_count(job) > 1 ||
	    job->filesize_bytes != 0 || job->size_pct != 0) {
		set_err(err, err_len,
			"job '%s': 'fill_device' is for a block job on one file, which it sizes by "
			"the free space of its filesystem: no 'filesize', size=N%% or ':' list",
			job->name);
		return -EINVAL;
	}
	return 0;
}

/*
 * Several files per clone: the names must be there, and the I/O places one block size over
 * them (a block from each in turn, or one file after the other), so what needs one file's
 * blocks or its own ordering is refused with them.
 */
static int job_check_files(const struct zh_bench_job *job, char *err, size_t err_len)
{
	uint32_t n = zh_bench_job_file_count(job);
	char name[ZH_BENCH_PATH_MAX];

	if (n > ZH_BENCH_FILES_MAX) {
		set_err(err, err_len, "job '%s': 'filename' names more than 16 files", job->name);
		return -EINVAL;
	}
	for (uint32_t i = 0; job->filename[0] != '\0' && i < n; i++) {
		if (zh_bench_job_file_name(job, i, name, sizeof(name)) != 0 || name[0] == '\0') {
			set_err(err, err_len, "job '%s': 'filename' has an empty name (at ':' %u)",
				job->name, i);
			return -EINVAL;
		}
	}
	if (n == 1)
		return 0;
	if (zh_bench_job_bs(job) == 0 || zh_bench_rw_is_object(job->rw) || job->verify ||
	    job->fsync_blocks != 0 || job->fdatasync_blocks != 0 || job->end_fsync ||
	    job->zone_strided || job->seq_add != 0 || job->seq_every > 1 ||
	    job->random_pct[0] < 100 || job->random_pct[1] < 100 ||
	    (job->blockalign[0] | job->blockalign[1]) != 0 ||
	    job->dist.kind == ZH_BENCH_DIST_ZONED_ABS) {
		set_err(err, err_len,
			"job '%s': several files take a block job of one block size, without "
			"'verify', 'fsync', 'fdatasync', 'end_fsync', zonemode, 'blockalign', "
			"zoned_abs, 'percentage_random' or an rw=MODE:N modifier",
			job->name);
		return -EINVAL;
	}
	return 0;
}

unsigned zh_bench_jobs_new_groups(const struct zh_bench_job *jobs, unsigned j)
{
	unsigned n = 0;

	for (unsigned k = 1; k <= j; k++)
		n += jobs[k].new_group;
	return n;
}

bool zh_bench_clone_joins(const struct zh_bench_job *jobs, unsigned j, unsigned clone)
{
	return jobs[j].group_reporting && (clone > 0 || (j > 0 && !jobs[j].new_group));
}

unsigned zh_bench_jobs_results(const struct zh_bench_job *jobs, unsigned count)
{
	unsigned n = 0;

	if (count > 0 && zh_bench_rw_is_object(jobs[0].rw))
		return count;
	for (unsigned j = 0; j < count; j++) {
		for (unsigned c = 0; c < jobs[j].numjobs; c++)
			n += !zh_bench_clone_joins(jobs, j, c);
	}
	return n;
}

uint32_t zh_bench_job_sample_ms(const struct zh_bench_job *job)
{
	return job->bw_avg_ms != 0     ? job->bw_avg_ms
	       : job->iops_avg_ms != 0 ? job->iops_avg_ms
				       : 500;
}

uint64_t zh_bench_job_zone_range(const struct zh_bench_job *job)
{
	return job->zone_range_bytes != 0 ? job->zone_range_bytes : job->zone_size_bytes;
}

/*
 * zonemode=strided against the rest of the job: it needs a zonesize (fio's rule), places
 * every I/O itself, so the other ways of placing them are refused with it, and a zone holds
 * the largest block.
 */
static int job_check_zones(const struct zh_bench_job *job, char *err, size_t err_len)
{
	uint64_t range = zh_bench_job_zone_range(job);

	if (!job->zone_strided) {
		if ((job->zone_size_bytes | job->zone_range_bytes | job->zone_skip_bytes) == 0)
			return 0;
		set_err(err, err_len,
			"job '%s': 'zonesize', 'zonerange' and 'zoneskip' need zonemode=strided",
			job->name);
		return -EINVAL;
	}
	if (job->zone_size_bytes == 0) {
		set_err(err, err_len, "job '%s': zonemode=strided needs a 'zonesize'", job->name);
		return -EINVAL;
	}
	if (zh_bench_rw_is_object(job->rw) || job->verify || job->lfsr ||
	    job->dist.kind != ZH_BENCH_DIST_RANDOM || job->random_pct[0] < 100 ||
	    job->random_pct[1] < 100 || job->seq_every > 1 || job->seq_add != 0) {
		set_err(err, err_len,
			"job '%s': zonemode=strided is for block jobs without 'verify', "
			"'random_distribution', 'random_generator=lfsr', 'percentage_random' or "
			"rw=MODE:N",
			job->name);
		return -EINVAL;
	}
	if (range < zh_bench_job_bs_max(job)) {
		set_err(err, err_len,
			"job '%s': 'zonerange' (%llu bytes) is smaller than the largest block (%u "
			"bytes)",
			job->name, (unsigned long long)range, zh_bench_job_bs_max(job));
		return -EINVAL;
	}
	if (job->zone_skip_bytes > UINT64_MAX - range) {
		set_err(err, err_len, "job '%s': 'zonerange' and 'zoneskip' add up past 64 bits",
			job->name);
		return -EINVAL;
	}
	return 0;
}

/*
 * verify_interval: a verifying job's block is whole intervals, each big enough for the kind's
 * header and checksum; verify=pattern has no header to repeat, and fio's pattern runs over
 * the whole block, so the two do not go together.
 */
static int job_check_interval(const struct zh_bench_job *job, uint32_t one, char *err,
			      size_t err_len)
{
	uint64_t iv = job->verify_interval;

	if (iv == 0)
		return 0;
	if (!job->verify || job->verify_kind == ZH_BENCH_VERIFY_PATTERN) {
		set_err(
		    err, err_len,
		    "job '%s': 'verify_interval' repeats a checksum kind's header (verify=crc32c "
		    "and the like), not verify=pattern's",
		    job->name);
		return -EINVAL;
	}
	if (iv > one || one % iv != 0 || iv < zh_bench_verify_min_block(job->verify_kind)) {
		set_err(err, err_len,
			"job '%s': 'verify_interval' (%llu) must divide bs (%u) and be at least %u "
			"bytes for verify=%s",
			job->name, (unsigned long long)iv, one,
			zh_bench_verify_min_block(job->verify_kind),
			zh_bench_verify_kind_name(job->verify_kind));
		return -EINVAL;
	}
	return 0;
}

/*
 * Block sizes against the rest of the job: object jobs put and get objects of one size, and
 * verify keeps one record per block, so both need one size; a set size holds the largest.
 */
static int job_check_bs(const struct zh_bench_job *job, char *err, size_t err_len)
{
	uint32_t one = zh_bench_job_bs(job), max = zh_bench_job_bs_max(job);

	if (one == 0 && zh_bench_rw_is_object(job->rw)) {
		set_err(err, err_len,
			"job '%s': an object job's 'bs' is one object size (no bsrange or "
			"bssplit)",
			job->name);
		return -EINVAL;
	}
	if (one == 0 && job->verify) {
		set_err(err, err_len,
			"job '%s': 'verify' needs one block size (no bsrange, bssplit or "
			"separate read and write sizes)",
			job->name);
		return -EINVAL;
	}
	if (job->verify && one < zh_bench_verify_min_block(job->verify_kind)) {
		set_err(err, err_len, "job '%s': 'verify=%s' needs a bs of at least %u bytes",
			job->name, zh_bench_verify_kind_name(job->verify_kind),
			zh_bench_verify_min_block(job->verify_kind));
		return -EINVAL;
	}
	if (job->lfsr &&
	    (!zh_bench_rw_is_random(job->rw) || one == 0 || job->file_service_every > 1 ||
	     (job->blockalign[0] | job->blockalign[1]) != 0 ||
	     job->dist.kind != ZH_BENCH_DIST_RANDOM || job->random_pct[0] < 100 ||
	     job->random_pct[1] < 100 || job->seq_every > 1)) {
		set_err(err, err_len,
			"job '%s': 'random_generator=lfsr' walks the blocks of a random job of one "
			"size (no blockalign, random_distribution, percentage_random, rw=MODE:N or "
			"a file switch count)",
			job->name);
		return -EINVAL;
	}
	if (job->verify && job->seq_add % (int64_t)(one != 0 ? one : 1) != 0) {
		set_err(err, err_len,
			"job '%s': with 'verify', an 'rw' offset modifier must be a multiple of bs "
			"(verify keeps one record per block)",
			job->name);
		return -EINVAL;
	}
	if ((job->blockalign[0] | job->blockalign[1]) != 0 &&
	    (zh_bench_rw_is_object(job->rw) || job->verify)) {
		set_err(err, err_len,
			"job '%s': 'blockalign' is for block jobs without 'verify' (verify keeps "
			"one record per block)",
			job->name);
		return -EINVAL;
	}
	if (job->size_bytes != 0 && job->size_bytes < max) {
		set_err(err, err_len,
			"job '%s': 'size' (%llu bytes) is smaller than the largest block (%u "
			"bytes)",
			job->name, (unsigned long long)job->size_bytes, max);
		return -EINVAL;
	}
	return job_check_interval(job, one, err, err_len);
}

/* Options that only block jobs (rw=read ... randrw) take, refused on object jobs. */
static int job_check_object(const struct zh_bench_job *job, char *err, size_t err_len)
{
	if (!zh_bench_rw_is_object(job->rw)) {
		if (job->zstd_level == ZH_BENCH_ZSTD_AUTO)
			return 0;
		set_err(err, err_len, "job '%s': 'zstd_level' is for object jobs (rw=put, rw=get)",
			job->name);
		return -EINVAL;
	}
	if (job->fsync_blocks != 0 || job->fdatasync_blocks != 0 || job->end_fsync ||
	    job->write_flags != 0) {
		set_err(
		    err, err_len,
		    "job '%s': 'fsync', 'fdatasync', 'end_fsync' and 'sync' are for block jobs: "
		    "a store acknowledges each put once it is durable",
		    job->name);
		return -EINVAL;
	}
	if (job->refill_buffers_set) {
		set_err(err, err_len,
			"job '%s': 'refill_buffers' is for block jobs: every put already carries "
			"bytes of its own",
			job->name);
		return -EINVAL;
	}
	if (job->continue_on_error != 0 || job->fault_eio_ppm != 0 || job->fault_short_ppm != 0 ||
	    job->fault_torn_ppm != 0) {
		set_err(err, err_len,
			"job '%s': 'continue_on_error' and 'fault_*_ppm' are for block jobs",
			job->name);
		return -EINVAL;
	}
	if (job_rated(job)) {
		set_err(err, err_len, "job '%s': 'rate' and 'rate_iops' are for block jobs",
			job->name);
		return -EINVAL;
	}
	if (job->disable_slat || job->disable_clat || job->disable_lat || job->disable_bw) {
		set_err(err, err_len,
			"job '%s': 'gtod_reduce' and 'disable_*' are for block jobs: an object "
			"job's figures come from its client threads",
			job->name);
		return -EINVAL;
	}
	if (job->think_ns != 0) {
		set_err(err, err_len, "job '%s': 'thinktime' is for block jobs", job->name);
		return -EINVAL;
	}
	if (job->start_delay_max_ns != 0 || job->exitall || job->exitall_on_error ||
	    job->unified_mixed) {
		set_err(err, err_len,
			"job '%s': 'startdelay', 'exitall', 'exitall_on_error' and "
			"'unified_rw_reporting' are for block jobs",
			job->name);
		return -EINVAL;
	}
	if (job->ss.seconds != 0) {
		set_err(err, err_len, "job '%s': 'ss_dur' (steady state) is for block jobs",
			job->name);
		return -EINVAL;
	}
	return 0;
}

/*
 * ioengine is accepted for fio's block I/O engines, whose work the engine's own path does (the
 * report says so). Any other is refused: ioengine=null does no I/O at all in fio, and standing
 * in for it wrote the job's file; fio refuses an engine it does not know.
 */
static int job_check_engine(const struct zh_bench_job *job, char *err, size_t err_len)
{
	static const char *const block_engines[] = {
	    "zhtp",  "io_uring", "io_uring_cmd", "libaio",     "sync",	     "psync",
	    "vsync", "pvsync",	 "pvsync2",	 "posixaio",   "mmap",	     "splice",
	    "sg",    "xnvme",	 "libblkio",	 "windowsaio", "solarisaio",
	};

	if (job->ioengine[0] == '\0')
		return 0;
	for (size_t i = 0; i < ZH_ARRAY_SIZE(block_engines); i++) {
		if (strcmp(job->ioengine, block_engines[i]) == 0)
			return 0;
	}
	set_err(err, err_len,
		"job '%s': 'ioengine=%s' is not a block I/O engine; zhtp-bench runs its own block "
		"I/O path in place of fio's (io_uring, libaio, psync...), and nothing else",
		job->name, job->ioengine);
	return -EINVAL;
}

/* Logs and averaging windows against the measurements that feed them. */
static int job_check_logs(const struct zh_bench_job *job, char *err, size_t err_len)
{
	if (job->lat_log[0] != '\0' &&
	    (job->disable_slat || job->disable_clat || job->disable_lat)) {
		set_err(err, err_len,
			"job '%s': 'write_lat_log' logs the latencies that 'disable_*' or "
			"'gtod_reduce' turn off",
			job->name);
		return -EINVAL;
	}
	if ((job->bw_log[0] != '\0' || job->iops_log[0] != '\0') && job->disable_bw) {
		set_err(err, err_len,
			"job '%s': 'write_bw_log' and 'write_iops_log' log the samples that "
			"'disable_bw_measurement' or 'gtod_reduce' turn off",
			job->name);
		return -EINVAL;
	}
	if (job->bw_avg_ms != 0 && job->iops_avg_ms != 0 && job->bw_avg_ms != job->iops_avg_ms) {
		set_err(err, err_len,
			"job '%s': 'bwavgtime' and 'iopsavgtime' differ: bandwidth and IOPS are "
			"sampled together here, give one window",
			job->name);
		return -EINVAL;
	}
	return 0;
}

/* Options that pace the job or choose its offsets, where two of them would fight. */
static int job_check_pacing(const struct zh_bench_job *job, char *err, size_t err_len)
{
	if ((job->lat_target_ns != 0 || job->max_lat_ns != 0) &&
	    (zh_bench_rw_is_object(job->rw) || job->verify || job->think_ns != 0 ||
	     job_rated(job))) {
		set_err(err, err_len,
			"job '%s': 'latency_target' and 'max_latency' are for block jobs without "
			"'verify', 'thinktime' or a rate (those pace the job or judge it apart)",
			job->name);
		return -EINVAL;
	}
	if (job->think_ns != 0 && job_rated(job)) {
		set_err(err, err_len,
			"job '%s': 'thinktime' with 'rate' or 'rate_iops': give one, both pace the "
			"job",
			job->name);
		return -EINVAL;
	}
	if (job->seq_every > 1 && (job->random_pct[0] < 100 || job->random_pct[1] < 100)) {
		set_err(err, err_len,
			"job '%s': 'percentage_random' and 'rw=MODE:N' both choose which I/Os "
			"follow on: give one",
			job->name);
		return -EINVAL;
	}
	if ((job->dist.kind != ZH_BENCH_DIST_RANDOM || job->random_pct[0] < 100 ||
	     job->random_pct[1] < 100) &&
	    !zh_bench_rw_is_random(job->rw)) {
		set_err(
		    err, err_len,
		    "job '%s': 'random_distribution' and 'percentage_random' are for random jobs "
		    "(randread, randwrite, randrw)",
		    job->name);
		return -EINVAL;
	}
	return 0;
}

/*
 * Steady state on a slope needs two seconds in its window: one has no slope (fio divides by
 * zero), so such a judge never attains and its report says nan.
 */
static int job_check_ss(const struct zh_bench_job *job, char *err, size_t err_len)
{
	if (job->ss.seconds != 1 || !job->ss.slope)
		return 0;
	set_err(err, err_len,
		"job '%s': a slope (ss=%s_slope) needs ss_dur of at least 2 s: one second has "
		"no slope",
		job->name, job->ss.bw ? "bw" : "iops");
	return -EINVAL;
}

int zh_bench_job_finish(struct zh_bench_job *job, char *err, size_t err_len)
{
	int rc;

	ZH_ASSERT(job != NULL);
	if (job->name[0] == '\0') {
		set_err(err, err_len, "job has no 'name'");
		return -EINVAL;
	}
	resolve_log(job->iops_log, &job->iops_log_use_name, job->name);
	resolve_log(job->bw_log, &job->bw_log_use_name, job->name);
	resolve_log(job->lat_log, &job->lat_log_use_name, job->name);
	/* fio only warns and drops time_based here; a job that would never stop is refused. */
	if (job->time_based && job->runtime_ns == 0) {
		set_err(err, err_len, "job '%s': 'time_based' needs a 'runtime'", job->name);
		return -EINVAL;
	}
	if (job->fsync_blocks != 0 && job->fdatasync_blocks != 0) {
		set_err(err, err_len,
			"job '%s': 'fsync' and 'fdatasync' together: both run as the device's "
			"flush, give one",
			job->name);
		return -EINVAL;
	}
	/* Before the verify check: a 'verify_pattern' turns verify on. */
	rc = job_check_pattern(job, err, err_len);
	if (rc != 0)
		return rc;
	if (job->verify && (zh_bench_rw_is_object(job->rw) || job->rw == ZH_BENCH_RW_RW ||
			    job->rw == ZH_BENCH_RW_RANDRW)) {
		set_err(
		    err, err_len,
		    "job '%s': 'verify' is for read or write jobs: write with verify, then read "
		    "with verify",
		    job->name);
		return -EINVAL;
	}
	/* In this order: the first that refuses names the problem. */
	static int (*const checks[])(const struct zh_bench_job *, char *, size_t) = {
	    job_check_engine,  job_check_object, job_check_ss,	  job_check_logs,
	    job_check_pacing,  job_check_zones,	 job_check_files, job_check_fill,
	    job_check_backlog, job_check_flow,	 job_check_bs,
	};
	for (size_t i = 0; i < ZH_ARRAY_SIZE(checks); i++) {
		rc = checks[i](job, err, err_len);
		if (rc != 0)
			return rc;
	}
	return 0;
}

const char *zh_bench_rw_name(enum zh_bench_rw rw)
{
	switch (rw) {
	case ZH_BENCH_RW_READ:
		return "read";
	case ZH_BENCH_RW_WRITE:
		return "write";
	case ZH_BENCH_RW_RANDREAD:
		return "randread";
	case ZH_BENCH_RW_RANDWRITE:
		return "randwrite";
	case ZH_BENCH_RW_RW:
		return "rw";
	case ZH_BENCH_RW_RANDRW:
		return "randrw";
	case ZH_BENCH_RW_PUT:
		return "put";
	case ZH_BENCH_RW_GET:
		return "get";
	}
	return "invalid";
}

bool zh_bench_rw_is_object(enum zh_bench_rw rw)
{
	return rw == ZH_BENCH_RW_PUT || rw == ZH_BENCH_RW_GET;
}

bool zh_bench_rw_is_random(enum zh_bench_rw rw)
{
	return rw == ZH_BENCH_RW_RANDREAD || rw == ZH_BENCH_RW_RANDWRITE ||
	       rw == ZH_BENCH_RW_RANDRW;
}

void zh_bench_jobfile_init(struct zh_bench_jobfile *jf)
{
	ZH_ASSERT(jf != NULL);
	jf->job_count = 0;
}

/* ---------------------------------------------------------------------------------------------
 * Job files.
 */

struct file_parser {
	struct zh_bench_jobfile *jf;
	const char *source;
	unsigned line_no;
	bool in_section;	    /* false until the first [section] header */
	bool stonewall_next;	    /* fio separates job files by a stonewall */
	struct zh_bench_job *cur;   /* job being filled; NULL while in [global] */
	struct zh_bench_job global; /* template that later job sections start from */
	char *err;
	size_t err_len;
	char line[ZH_BENCH_LINE_MAX + 1];
	char value[ZH_BENCH_LINE_MAX + 1]; /* value after ${VAR} expansion */
};

static int __attribute__((format(printf, 3, 4)))
line_err(struct file_parser *fp, int rc, const char *fmt, ...)
{
	char msg[MSG_MAX], src[SHOW_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	set_err(fp->err, fp->err_len, "%s:%u: %s", show(src, sizeof(src), fp->source), fp->line_no,
		msg);
	return rc;
}

/*
 * fio replaces ${VAR} in a job-file value with the environment variable VAR. fio substitutes an
 * empty string for an unset variable; that would hide a typo, so it is refused here.
 */
static int expand_env(struct file_parser *fp, const char *in)
{
	size_t o = 0;
	const char *p = in;

	while (*p != '\0') {
		const char *piece = p;
		size_t piece_len = 1;

		if (p[0] == '$' && p[1] == '{') {
			const char *close = strchr(p + 2, '}');
			char name[128], shown[SHOW_MAX];
			size_t name_len;

			if (close == NULL)
				return line_err(fp, -EINVAL, "unterminated '${' in value '%s'",
						show(shown, sizeof(shown), in));
			name_len = (size_t)(close - (p + 2));
			if (name_len == 0 || name_len >= sizeof(name))
				return line_err(fp, -EINVAL, "bad variable name in value '%s'",
						show(shown, sizeof(shown), in));
			memcpy(name, p + 2, name_len);
			name[name_len] = '\0';
			piece = getenv(name);
			if (piece == NULL)
				return line_err(fp, -EINVAL, "environment variable '%s' is not set",
						show(shown, sizeof(shown), name));
			piece_len = strlen(piece);
			p = close + 1;
		} else {
			p++;
		}
		if (piece_len > ZH_BENCH_LINE_MAX - o)
			return line_err(fp, -EINVAL, "value is too long after expanding '${...}'");
		memcpy(fp->value + o, piece, piece_len);
		o += piece_len;
	}
	fp->value[o] = '\0';
	return 0;
}

static int start_job(struct file_parser *fp, const char *name)
{
	struct zh_bench_job *job;

	if (fp->jf->job_count >= ZH_BENCH_JOBS_MAX)
		return line_err(fp, -E2BIG, "too many jobs (at most %d)", ZH_BENCH_JOBS_MAX);
	job = &fp->jf->jobs[fp->jf->job_count++];
	*job = fp->global;
	snprintf(job->name, sizeof(job->name), "%s", name);
	job->source_line = fp->line_no;
	if (fp->stonewall_next) {
		job->stonewall = true;
		fp->stonewall_next = false;
	}
	fp->cur = job;
	return 0;
}

/* s is a trimmed line starting with '['. */
static int parse_section(struct file_parser *fp, char *s)
{
	char shown[SHOW_MAX];
	char *close = strchr(s, ']');
	char *name, *rest;

	if (close == NULL)
		return line_err(fp, -EINVAL, "unterminated section header '%s': missing ']'",
				show(shown, sizeof(shown), s));
	*close = '\0';
	rest = trim(close + 1);
	if (rest[0] != '\0' && rest[0] != ';' && rest[0] != '#')
		return line_err(fp, -EINVAL, "unexpected text '%s' after section header",
				show(shown, sizeof(shown), rest));
	name = trim(s + 1);
	if (name[0] == '\0')
		return line_err(fp, -EINVAL, "empty section name '[]'");
	if (strlen(name) >= ZH_BENCH_NAME_MAX)
		return line_err(fp, -EINVAL, "section name '%s' is too long (at most %d bytes)",
				show(shown, sizeof(shown), name), ZH_BENCH_NAME_MAX - 1);
	if (strchr(name, '[') != NULL)
		return line_err(fp, -EINVAL, "bad section name '%s'",
				show(shown, sizeof(shown), name));
	/* The job's name, which the JSON report echoes (not shown here: it is not text). */
	if (!utf8_valid(name))
		return line_err(fp, -EINVAL, "section name is not valid UTF-8");
	fp->in_section = true;
	if (strcmp(name, "global") == 0) {
		fp->cur = NULL;
		return 0;
	}
	return start_job(fp, name);
}

/* An inline comment starts at ';' or '#' preceded by a blank. */
static void strip_inline_comment(char *s)
{
	for (size_t i = 1; s[i] != '\0'; i++) {
		if ((s[i] == ';' || s[i] == '#') && is_blank(s[i - 1])) {
			s[i] = '\0';
			return;
		}
	}
}

/* s is a trimmed, non-empty line that is neither a comment nor a section header. */
static int parse_option_line(struct file_parser *fp, char *s)
{
	char msg[MSG_MAX], shown[SHOW_MAX];
	char *eq, *key, *value = NULL;
	int rc;

	strip_inline_comment(s);
	eq = strchr(s, '=');
	if (eq != NULL) {
		*eq = '\0';
		value = trim(eq + 1);
	}
	key = trim(s);
	if (key[0] == '\0')
		return line_err(fp, -EINVAL, "missing option name before '='");
	if (!fp->in_section)
		return line_err(fp, -EINVAL, "option '%s' is outside any [section]",
				show(shown, sizeof(shown), key));
	if (strncmp(key, "include", 7) == 0 && is_blank(key[7]))
		return line_err(fp, -EINVAL, "'include' is not supported");
	if (value != NULL) {
		rc = expand_env(fp, value);
		if (rc != 0)
			return rc;
	}
	rc = job_set(fp->cur != NULL ? fp->cur : &fp->global, key, value != NULL ? fp->value : NULL,
		     "", msg, sizeof(msg));
	if (rc != 0)
		return line_err(fp, -EINVAL, "%s", msg);
	return 0;
}

static int parse_line(struct file_parser *fp)
{
	char *s = trim(fp->line);

	if (s[0] == '\0' || s[0] == ';' || s[0] == '#')
		return 0;
	for (size_t i = 0; s[i] != '\0'; i++) {
		if (is_ctrl(s[i]) && s[i] != '\t')
			return line_err(fp, -EINVAL, "control character 0x%02x in line",
					(unsigned)(unsigned char)s[i]);
	}
	if (s[0] == '[')
		return parse_section(fp, s);
	return parse_option_line(fp, s);
}

static int parse_lines(struct file_parser *fp, const char *text, size_t len)
{
	size_t pos = 0;

	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
		pos = 3; /* UTF-8 byte order mark */
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t line_len = nl != NULL ? (size_t)(nl - (text + pos)) : len - pos;
		int rc;

		if (fp->line_no == UINT32_MAX)
			return line_err(fp, -EINVAL, "too many lines");
		fp->line_no++;
		if (line_len > ZH_BENCH_LINE_MAX)
			return line_err(fp, -EINVAL, "line is too long (more than %d bytes)",
					ZH_BENCH_LINE_MAX);
		if (memchr(text + pos, '\0', line_len) != NULL)
			return line_err(fp, -EINVAL, "NUL byte in line");
		memcpy(fp->line, text + pos, line_len);
		fp->line[line_len] = '\0';
		pos += line_len + (nl != NULL ? 1 : 0);
		rc = parse_line(fp);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/*
 * new_group: fio starts a reporting group there, also among jobs that run together. Object
 * jobs (rw=put/get) report as one group between two stonewalls.
 */
static int job_check_new_group(const struct zh_bench_jobfile *jf, uint32_t i, char *err,
			       size_t err_len)
{
	const struct zh_bench_job *job = &jf->jobs[i];

	if (!job->new_group || job->stonewall || i == 0 || !zh_bench_rw_is_object(job->rw))
		return 0;
	set_err(err, err_len,
		"job '%s': 'new_group' without 'stonewall' is for block jobs: object jobs that "
		"run together report in one group",
		job->name);
	return -EINVAL;
}

/* Finish the jobs from index first on; a failure names the job's section line. */
static int finish_jobs(struct zh_bench_jobfile *jf, uint32_t first, const char *const *sources,
		       const char *source, char *err, size_t err_len)
{
	for (uint32_t i = first; i < jf->job_count; i++) {
		struct zh_bench_job *job = &jf->jobs[i];
		const char *src = sources != NULL ? sources[i] : source;
		char msg[MSG_MAX], shown[SHOW_MAX];

		if (zh_bench_job_finish(job, msg, sizeof(msg)) == 0 &&
		    job_check_new_group(jf, i, msg, sizeof(msg)) == 0)
			continue;
		if (job->source_line == 0)
			set_err(err, err_len, "command line: %s", msg);
		else
			set_err(err, err_len, "%s:%u: %s", show(shown, sizeof(shown), src),
				job->source_line, msg);
		return -EINVAL;
	}
	return 0;
}

/* Parse one job file; jobs are finished only if finish is set. */
static int parse_file_text(struct zh_bench_jobfile *jf, const char *text, size_t len,
			   const char *source, bool stonewall_first, bool finish, char *err,
			   size_t err_len)
{
	struct file_parser *fp;
	uint32_t first;
	int rc;

	ZH_ASSERT(jf != NULL);
	ZH_ASSERT(text != NULL || len == 0);
	ZH_ASSERT(jf->job_count <= ZH_BENCH_JOBS_MAX);
	/* About 40 KiB of state: too much for the stack of a fuzzer or a small thread. */
	fp = calloc(1, sizeof(*fp));
	if (fp == NULL) {
		set_err(err, err_len, "%s: out of memory", source);
		return -ENOMEM;
	}
	fp->jf = jf;
	fp->source = source;
	fp->stonewall_next = stonewall_first;
	fp->err = err;
	fp->err_len = err_len;
	zh_bench_job_defaults(&fp->global);
	first = jf->job_count;
	rc = parse_lines(fp, text != NULL ? text : "", len);
	free(fp);
	if (rc == 0 && finish)
		rc = finish_jobs(jf, first, NULL, source, err, err_len);
	if (rc != 0)
		jf->job_count = first;
	return rc;
}

int zh_bench_jobfile_parse(struct zh_bench_jobfile *jf, const char *text, size_t len,
			   const char *source, char *err, size_t err_len)
{
	return parse_file_text(jf, text, len, source != NULL ? source : "<job file>", false, true,
			       err, err_len);
}

/* ---------------------------------------------------------------------------------------------
 * Command line.
 */

enum cli_kind {
	CLI_FILE,
	CLI_END_OF_OPTIONS, /* "--": everything after it is a job file */
	CLI_OUTPUT_FORMAT,
	CLI_OUTPUT,
	CLI_STATUS_INTERVAL,
	CLI_ETA,
	CLI_IDLE,
	CLI_BUSY_POLL,
	CLI_GATHER,
	CLI_PIN,
	CLI_SCHED,
	CLI_SCHED_SLICE,
	CLI_YIELD_WAIT,
	CLI_HELP,
	CLI_VERSION,
	CLI_JOB_OPTION,
};

struct cli_arg {
	enum cli_kind kind;
	char key[ZH_BENCH_NAME_MAX]; /* option name without "--" */
	const char *value;	     /* NULL: bare option */
	int consumed;		     /* argv entries used: 2 for "--output FILE" */
};

static const struct {
	const char *name;
	enum cli_kind kind;
	bool takes_value;
} cli_globals[] = {
    {"output-format", CLI_OUTPUT_FORMAT, true},
    {"output", CLI_OUTPUT, true},
    {"status-interval", CLI_STATUS_INTERVAL, true},
    {"eta", CLI_ETA, true},
    {"idle", CLI_IDLE, true},
    {"busy-poll", CLI_BUSY_POLL, true},
    {"gather", CLI_GATHER, true},
    {"pin", CLI_PIN, true},
    {"sched", CLI_SCHED, true},
    {"sched-slice", CLI_SCHED_SLICE, true},
    {"yield-wait", CLI_YIELD_WAIT, true},
    {"help", CLI_HELP, false},
    {"version", CLI_VERSION, false},
};

static int cli_err(char *err, size_t err_len, int rc, const char *what, const char *arg)
{
	char shown[SHOW_MAX];

	set_err(err, err_len, "command line: %s '%s'", what, show(shown, sizeof(shown), arg));
	return rc;
}

/* Classify argv[i] without side effects; files_only is set after "--". */
static int cli_classify(int argc, char **argv, int i, bool files_only, struct cli_arg *a, char *err,
			size_t err_len)
{
	const char *arg = argv[i];
	const char *eq;
	size_t key_len;

	memset(a, 0, sizeof(*a));
	a->consumed = 1;
	if (files_only || arg[0] != '-') {
		a->kind = CLI_FILE;
		return 0;
	}
	if (strcmp(arg, "--") == 0) {
		a->kind = CLI_END_OF_OPTIONS;
		return 0;
	}
	if (strcmp(arg, "-") == 0)
		return cli_err(err, err_len, -EINVAL,
			       "reading a job file from stdin is not supported:", arg);
	if (arg[1] != '-')
		return cli_err(err, err_len, -EINVAL, "unknown option", arg);
	eq = strchr(arg + 2, '=');
	key_len = eq != NULL ? (size_t)(eq - (arg + 2)) : strlen(arg + 2);
	if (key_len == 0 || key_len >= sizeof(a->key))
		return cli_err(err, err_len, -EINVAL, "unknown option", arg);
	memcpy(a->key, arg + 2, key_len);
	a->value = eq != NULL ? eq + 1 : NULL;
	a->kind = CLI_JOB_OPTION;
	for (size_t g = 0; g < sizeof(cli_globals) / sizeof(cli_globals[0]); g++) {
		if (strcmp(a->key, cli_globals[g].name) != 0)
			continue;
		a->kind = cli_globals[g].kind;
		if (!cli_globals[g].takes_value && a->value != NULL)
			return cli_err(err, err_len, -EINVAL, "this option takes no value:", arg);
		/* Like getopt_long: "--output FILE" works as well as "--output=FILE". */
		if (cli_globals[g].takes_value && a->value == NULL) {
			if (i + 1 >= argc || argv[i + 1] == NULL)
				return cli_err(err, err_len, -EINVAL, "missing value for", arg);
			a->value = argv[i + 1];
			a->consumed = 2;
		}
		break;
	}
	return 0;
}

static int parse_output_format(const char *v, unsigned *out)
{
	unsigned fmt = 0;
	const char *p = v;

	/* fio takes a comma list ("normal,json"); "json+normal" is accepted as the same. */
	for (;;) {
		size_t n = strcspn(p, ",+");

		if (n == 6 && strncmp(p, "normal", 6) == 0)
			fmt |= ZH_BENCH_OUTPUT_NORMAL;
		else if (n == 4 && strncmp(p, "json", 4) == 0)
			fmt |= ZH_BENCH_OUTPUT_JSON;
		else
			return -EINVAL;
		if (p[n] == '\0')
			break;
		p += n + 1;
	}
	*out = fmt;
	return 0;
}

static int cli_bad(char *err, size_t err_len, const struct cli_arg *a, const char *why)
{
	char v[SHOW_MAX];

	set_err(err, err_len, "command line: bad value '%s' for '--%s': %s",
		show(v, sizeof(v), a->value), a->key, why);
	return -EINVAL;
}

/* A two-way choice: \p on or \p off sets \p out; anything else is refused. */
static int cli_either(const struct cli_arg *a, const char *on, const char *off, bool *out,
		      char *err, size_t err_len)
{
	char why[64];

	if (strcmp(a->value, on) == 0 || strcmp(a->value, off) == 0) {
		*out = strcmp(a->value, on) == 0;
		return 0;
	}
	snprintf(why, sizeof(why), "expected %s or %s", off, on);
	return cli_bad(err, err_len, a, why);
}

static int cli_apply_global(struct zh_bench_cli *cli, const struct cli_arg *a, char *err,
			    size_t err_len)
{
	const char *why;
	uint64_t ns;

	switch (a->kind) {
	case CLI_OUTPUT_FORMAT:
		if (parse_output_format(a->value, &cli->output_format) != 0)
			return cli_bad(err, err_len, a, "expected normal, json or normal,json");
		return 0;
	case CLI_OUTPUT:
		if (a->value[0] == '\0' || strlen(a->value) >= sizeof(cli->output_path))
			return cli_bad(err, err_len, a, "expected a file name");
		snprintf(cli->output_path, sizeof(cli->output_path), "%s", a->value);
		return 0;
	case CLI_STATUS_INTERVAL:
		if (parse_time_ns(a->value, &ns, &why) != 0)
			return cli_bad(err, err_len, a, why);
		if (ns < 1000000)
			return cli_bad(err, err_len, a, "the interval must be at least 1ms");
		cli->status_interval_ns = ns;
		return 0;
	case CLI_ETA:
		if (strcmp(a->value, "always") == 0)
			cli->eta = ZH_BENCH_ETA_ALWAYS;
		else if (strcmp(a->value, "never") == 0)
			cli->eta = ZH_BENCH_ETA_NEVER;
		else if (strcmp(a->value, "auto") == 0)
			cli->eta = ZH_BENCH_ETA_AUTO;
		else
			return cli_bad(err, err_len, a, "expected always, never or auto");
		return 0;
	case CLI_IDLE:
		return cli_either(a, "poll", "sleep", &cli->idle_poll, err, err_len);
	case CLI_BUSY_POLL:
		if (parse_time_ns(a->value, &ns, &why) != 0)
			return cli_bad(err, err_len, a, why);
		if (ns > ZH_BENCH_BUSY_POLL_MAX_NS)
			return cli_bad(err, err_len, a, "at most 10ms");
		cli->busy_poll_set = true;
		cli->busy_poll_ns = (uint32_t)ns;
		return 0;
	case CLI_GATHER:
		if (parse_time_ns(a->value, &ns, &why) != 0)
			return cli_bad(err, err_len, a, why);
		if (ns > ZH_BENCH_GATHER_MAX_NS)
			return cli_bad(err, err_len, a, "at most 1ms");
		cli->gather_ns = (uint32_t)ns;
		return 0;
	case CLI_PIN:
		if (strcmp(a->value, "auto") == 0)
			cli->pin = ZH_BENCH_PIN_AUTO;
		else if (strcmp(a->value, "core") == 0)
			cli->pin = ZH_BENCH_PIN_CORE;
		else if (strcmp(a->value, "node") == 0)
			cli->pin = ZH_BENCH_PIN_NODE;
		else
			return cli_bad(err, err_len, a, "expected auto, core or node");
		return 0;
	case CLI_SCHED:
		return cli_either(a, "batch", "normal", &cli->sched_batch, err, err_len);
	case CLI_SCHED_SLICE:
		if (parse_time_ns(a->value, &ns, &why) != 0)
			return cli_bad(err, err_len, a, why);
		if (ns != 0 &&
		    (ns < ZH_BENCH_SCHED_SLICE_MIN_NS || ns > ZH_BENCH_SCHED_SLICE_MAX_NS))
			return cli_bad(err, err_len, a,
				       "expected 0 (the kernel's) or 100us to 100ms");
		cli->sched_slice_ns = ns;
		return 0;
	case CLI_YIELD_WAIT:
		return cli_either(a, "on", "off", &cli->yield_wait, err, err_len);
	case CLI_HELP:
		cli->help = true;
		return 0;
	case CLI_VERSION:
		cli->version = true;
		return 0;
	default:
		return 0;
	}
}

static int cli_job_set(struct zh_bench_job *job, const struct cli_arg *a, char *err, size_t err_len)
{
	char msg[MSG_MAX];
	int rc = job_set(job, a->key, a->value, "--", msg, sizeof(msg));

	if (rc != 0) {
		set_err(err, err_len, "command line: %s", msg);
		return -EINVAL;
	}
	return 0;
}

struct cli_scan {
	uint32_t files;
	bool has_name;
};

/* Pass 1: apply global options, count job files, and check every job option on a scratch job. */
static int cli_pass_globals(struct zh_bench_cli *cli, int argc, char **argv,
			    struct zh_bench_job *scratch, struct cli_scan *scan, char *err,
			    size_t err_len)
{
	bool files_only = false;
	struct cli_arg a;
	int rc;

	for (int i = 1; i < argc && argv[i] != NULL; i += a.consumed) {
		rc = cli_classify(argc, argv, i, files_only, &a, err, err_len);
		if (rc != 0)
			return rc;
		if (a.kind == CLI_END_OF_OPTIONS)
			files_only = true;
		else if (a.kind == CLI_FILE)
			scan->files++;
		else if (a.kind != CLI_JOB_OPTION)
			rc = cli_apply_global(cli, &a, err, err_len);
		else if (strcmp(a.key, "name") == 0)
			scan->has_name = true;
		if (rc == 0 && a.kind == CLI_JOB_OPTION)
			rc = cli_job_set(scratch, &a, err, err_len);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int read_job_file(const char *path, char **text, size_t *len, char *err, size_t err_len)
{
	char shown[SHOW_MAX];
	char *buf;
	size_t n;
	FILE *f;
	int rc;

	f = fopen(path, "rb");
	if (f == NULL) {
		rc = -errno;
		set_err(err, err_len, "%s: cannot open job file: %s",
			show(shown, sizeof(shown), path), strerror(-rc));
		return rc;
	}
	buf = malloc(ZH_BENCH_JOBFILE_MAX_BYTES + 1);
	if (buf == NULL) {
		fclose(f);
		set_err(err, err_len, "%s: out of memory", show(shown, sizeof(shown), path));
		return -ENOMEM;
	}
	errno = 0;
	n = fread(buf, 1, ZH_BENCH_JOBFILE_MAX_BYTES + 1, f);
	rc = ferror(f) ? -(errno != 0 ? errno : EIO) : 0;
	fclose(f);
	if (rc == 0 && n > ZH_BENCH_JOBFILE_MAX_BYTES)
		rc = -EFBIG;
	if (rc != 0) {
		set_err(err, err_len, "%s: cannot read job file: %s",
			show(shown, sizeof(shown), path),
			rc == -EFBIG ? "larger than 1 MiB" : strerror(-rc));
		free(buf);
		return rc;
	}
	*text = buf;
	*len = n;
	return 0;
}

/* Job files given: parse each, then let every job option on the command line override them. */
static int cli_from_files(struct zh_bench_cli *cli, int argc, char **argv, char *err,
			  size_t err_len)
{
	struct zh_bench_jobfile *jf = &cli->jobfile;
	const char *sources[ZH_BENCH_JOBS_MAX];
	bool files_only = false;
	uint32_t file_index = 0;
	struct cli_arg a;
	int rc;

	for (int i = 1; i < argc && argv[i] != NULL; i += a.consumed) {
		uint32_t first = jf->job_count;
		size_t len = 0;
		char *text = NULL;

		rc = cli_classify(argc, argv, i, files_only, &a, err, err_len);
		ZH_ASSERT(rc == 0); /* pass 1 accepted the same argv */
		files_only = files_only || a.kind == CLI_END_OF_OPTIONS;
		if (a.kind != CLI_FILE)
			continue;
		rc = read_job_file(argv[i], &text, &len, err, err_len);
		if (rc != 0)
			return rc;
		/* As in fio, the first job of each later file waits for the jobs before it. */
		rc = parse_file_text(jf, text, len, argv[i], file_index > 0, false, err, err_len);
		free(text);
		if (rc != 0)
			return rc;
		for (uint32_t j = first; j < jf->job_count; j++)
			sources[j] = argv[i];
		file_index++;
	}
	files_only = false;
	for (int i = 1; i < argc && argv[i] != NULL; i += a.consumed) {
		rc = cli_classify(argc, argv, i, files_only, &a, err, err_len);
		ZH_ASSERT(rc == 0);
		files_only = files_only || a.kind == CLI_END_OF_OPTIONS;
		for (uint32_t j = 0; a.kind == CLI_JOB_OPTION && j < jf->job_count; j++) {
			rc = cli_job_set(&jf->jobs[j], &a, err, err_len);
			if (rc != 0)
				return rc;
		}
	}
	return finish_jobs(jf, 0, sources, NULL, err, err_len);
}

/*
 * No job file: fio's way. Options before the first --name are global; each --name=X starts a
 * job from the global options so far, and the options after it belong to that job.
 * --name=global switches back to the global options.
 */
static int cli_from_names(struct zh_bench_cli *cli, int argc, char **argv,
			  struct zh_bench_job *global, char *err, size_t err_len)
{
	struct zh_bench_jobfile *jf = &cli->jobfile;
	struct zh_bench_job *cur = NULL;
	struct cli_arg a;
	int rc;

	zh_bench_job_defaults(global);
	for (int i = 1; i < argc && argv[i] != NULL; i += a.consumed) {
		rc = cli_classify(argc, argv, i, false, &a, err, err_len);
		ZH_ASSERT(rc == 0);
		if (a.kind != CLI_JOB_OPTION)
			continue;
		if (strcmp(a.key, "name") == 0 && a.value != NULL &&
		    strcmp(a.value, "global") == 0) {
			cur = NULL;
			continue;
		}
		if (strcmp(a.key, "name") == 0) {
			if (jf->job_count >= ZH_BENCH_JOBS_MAX) {
				set_err(err, err_len, "command line: too many jobs (at most %d)",
					ZH_BENCH_JOBS_MAX);
				return -E2BIG;
			}
			cur = &jf->jobs[jf->job_count++];
			*cur = *global;
		}
		rc = cli_job_set(cur != NULL ? cur : global, &a, err, err_len);
		if (rc != 0)
			return rc;
	}
	return finish_jobs(jf, 0, NULL, NULL, err, err_len);
}

int zh_bench_cli_parse(struct zh_bench_cli *cli, int argc, char **argv, char *err, size_t err_len)
{
	struct cli_scan scan = {0};
	struct zh_bench_job *scratch;
	int rc;

	ZH_ASSERT(cli != NULL);
	ZH_ASSERT(argc <= 0 || argv != NULL);
	memset(cli, 0, sizeof(*cli));
	cli->output_format = ZH_BENCH_OUTPUT_NORMAL;
	cli->eta = ZH_BENCH_ETA_AUTO;
	cli->sched_batch = true;
	cli->sched_slice_ns = ZH_BENCH_SCHED_SLICE_DEFAULT_NS;
	cli->gather_ns = ZH_BENCH_GATHER_DEFAULT_NS;
	cli->yield_wait = true;
	scratch = malloc(sizeof(*scratch));
	if (scratch == NULL) {
		set_err(err, err_len, "command line: out of memory");
		return -ENOMEM;
	}
	zh_bench_job_defaults(scratch);
	rc = cli_pass_globals(cli, argc, argv, scratch, &scan, err, err_len);
	if (rc == 0 && (cli->help || cli->version))
		goto out;
	if (rc == 0 && scan.files > 0 && scan.has_name) {
		set_err(err, err_len, "command line: '--name' cannot be combined with job files");
		rc = -EINVAL;
	}
	if (rc == 0 && scan.files > 0)
		rc = cli_from_files(cli, argc, argv, err, err_len);
	else if (rc == 0)
		rc = cli_from_names(cli, argc, argv, scratch, err, err_len);
	if (rc == 0 && cli->jobfile.job_count == 0) {
		set_err(err, err_len,
			"command line: no job defined (give a job file or --name=NAME)");
		rc = -EINVAL;
	}
out:
	free(scratch);
	if (rc != 0)
		cli->jobfile.job_count = 0;
	return rc;
}
