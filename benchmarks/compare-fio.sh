#!/usr/bin/env bash
# compare-fio.sh - compare zhtp-bench with fio on the same job files.
#
# Usage:
#   benchmarks/compare-fio.sh [-r ROUNDS] [-f FILE] [-s SIZE] [-t RUNTIME]
#                             [-b CORE] [-o REPORT.md] [--callgrind] JOBFILE...
#   benchmarks/compare-fio.sh [-r ROUNDS] -d DIR [-s SIZE] [-t RUNTIME]
#                             [-b CORE] [-o REPORT.md] JOBFILE...
#
# Timing mode (default). For each JOBFILE the target FILE is created (or
# reused if it already is SIZE long and not sparse) and filled with random
# data, then three configurations are run on it:
#   fio        fio --ioengine=io_uring
#   fio-fixed  fio --ioengine=io_uring --fixedbufs --registerfiles
#   zhtp       $ZHTP_BENCH $ZHTP_BENCH_ARGS
# plus a second fio-fixed run ("aa") that gives an A/A noise floor.
# Every run is
#   TOOL --output-format=json --filename=FILE --size=SIZE --runtime=RUNTIME
#        --time_based [CONFIG OPTIONS] JOBFILE
# ROUNDS rounds are run, odd rounds in the order fio, fio-fixed, zhtp, aa and
# even rounds mirrored (aa, zhtp, fio-fixed, fio), so that neither side always
# runs first (A B | B A | A B | B A ...).
# Reported per job: median IOPS (read+write+trim) of each configuration, the
# median p99 completion latency (max of the directions for mixed jobs), the
# ratios zhtp / best fio ("best fio" = the fio configuration with the higher
# median IOPS), the A/A IOPS ratio (median over rounds of aa / fio-fixed) and
# median CPU (usr+sys %); a second table lists every round's ratios.
#
# Callgrind mode (--callgrind). No timing: each JOBFILE is run under
# `valgrind --tool=callgrind` by fio (--thread --ioengine=io_uring --fixedbufs
# --registerfiles) and by zhtp-bench, each with two I/O totals, SIZE and
# 2*SIZE (SIZE defaults to 64m here), without --time_based. Reported:
# user-space instructions per I/O = (Ir(2*SIZE) - Ir(SIZE)) /
# (ios(2*SIZE) - ios(SIZE)), with Ir from the callgrind output's totals line
# and ios from the tool's JSON output of the same run. Each run is repeated
# ROUNDS times (default 3 here) and the lowest Ir is used, since the noise
# (time-dependent work such as polling and helper threads, which valgrind
# slows down) only ever adds instructions. FILE defaults to a file in a
# temporary directory under /dev/shm. -t is ignored.
#
# Options:
#   -r ROUNDS     number of rounds (default 4; callgrind mode: repetitions
#                 per tool and size, default 3)
#   -f FILE       target file (default ./zhtp-compare.dat; may be a block
#                 device, which is used as is and never filled); A:B:... is
#                 several files, each SIZE divided by their number, as both
#                 tools split size over a job's files
#   -d DIR        per-job files instead (timing mode, not with -f): each clone
#                 of each job uses its own DIR/NAME.CLONE.0, fio's default
#                 file name, which zhtp-bench uses too, SIZE each; the job
#                 sections, their name= and numjobs are read from the job
#                 files and every such file is written with random data first.
#                 Several jobs then share no file (and no file lock)
#   -s SIZE       file size / I/O region, fio syntax: 1g, 512m, 4096k, bytes
#                 (default 1g; 64m in callgrind mode)
#   -t RUNTIME    seconds per run (default 10)
#   -b CORE       a busy neighbour: a shell busy loop pinned to CORE runs
#                 through every timed run (timing mode), as another tenant of
#                 the machine would; the report's header names it
#   -o REPORT.md  also append the report, headed by the command line, here
#   --callgrind   instructions-per-I/O mode, see above
#   -h, --help    show this text
#
# Environment:
#   ZHTP_BENCH       zhtp-bench binary (default <repo>/build/benchmarks/zhtp-bench)
#   ZHTP_BENCH_ARGS  extra options for the zhtp side (word-split). If unset, the
#                    zhtp side gets --idle=poll in callgrind mode. If unset and
#                    ZHTP_BENCH is fio (A/A testing), it defaults to
#                    "--ioengine=io_uring --fixedbufs --registerfiles"
#                    (plus "--thread" in callgrind mode).
#   FIO              fio binary (default fio)
#   VALGRIND         valgrind binary (default valgrind)
#   COMPARE_KEEP=1   keep the work directory (raw JSON, callgrind files)
#
# Job files must not set ioengine, filename, directory, size, io_size,
# number_ios, runtime, time_based, thread, fixedbufs or registerfiles: options
# given on the command line before a job file are only defaults that the job
# file would override. The script exits non-zero, without printing ratios, as
# soon as a run fails or its JSON lacks IOPS or p99 figures.
#
# Example (A/A test of the script itself, fio on both sides):
#   ZHTP_BENCH=fio benchmarks/compare-fio.sh -r 1 -f /dev/shm/cmp.dat -s 64m \
#       -t 1 benchmarks/jobs/compare/randread-4k-qd32.fio

set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_dir=$(cd "$script_dir/.." && pwd)

usage() {
    awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' \
        "${BASH_SOURCE[0]}"
}

die() {
    printf 'compare-fio: error: %s\n' "$*" >&2
    exit 1
}

note() {
    printf 'compare-fio: %s\n' "$*" >&2
}

# The exact command line, for the report.
cmdline=""
for v in ZHTP_BENCH ZHTP_BENCH_ARGS FIO VALGRIND; do
    if [[ -n "${!v+x}" ]]; then
        cmdline+="$v=$(printf '%q' "${!v}") "
    fi
done
cmdline+=$(printf '%q ' "$0" "$@")
cmdline=${cmdline% }

rounds=""
file=""
dir=""
size=""
runtime=10
report=""
callgrind=0
busy_core=""
jobs=()

need_arg() {
    [[ $# -ge 2 && -n "$2" ]] || die "option $1 needs an argument (see --help)"
}

while [[ $# -gt 0 ]]; do
    case "$1" in
        -h | --help) usage; exit 0 ;;
        -r) need_arg "$@"; rounds=$2; shift 2 ;;
        -f) need_arg "$@"; file=$2; shift 2 ;;
        -d) need_arg "$@"; dir=$2; shift 2 ;;
        -s) need_arg "$@"; size=$2; shift 2 ;;
        -t) need_arg "$@"; runtime=$2; shift 2 ;;
        -o) need_arg "$@"; report=$2; shift 2 ;;
        -b) need_arg "$@"; busy_core=$2; shift 2 ;;
        --callgrind) callgrind=1; shift ;;
        --) shift; jobs+=("$@"); break ;;
        -*) die "unknown option '$1' (see --help)" ;;
        *) jobs+=("$1"); shift ;;
    esac
done

[[ ${#jobs[@]} -gt 0 ]] || { usage >&2; die "no job file given"; }
if [[ -z "$rounds" ]]; then
    if [[ $callgrind -eq 1 ]]; then rounds=3; else rounds=4; fi
fi
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || die "-r: ROUNDS must be a positive integer, got '$rounds'"
# An odd count runs one order more often than the other: A B B A is balanced only in pairs.
[[ $callgrind -eq 1 || $((rounds % 2)) -eq 0 || $rounds -eq 1 ]] ||
    note "-r $rounds: an odd number of rounds leaves the A B B A order unbalanced"
[[ "$runtime" =~ ^[1-9][0-9]*s?$ ]] || die "-t: RUNTIME must be a number of seconds, got '$runtime'"
if [[ -n "$busy_core" ]]; then
    [[ "$busy_core" =~ ^[0-9]+$ && $busy_core -lt $(nproc) ]] ||
        die "-b: CORE must be a core number below $(nproc), got '$busy_core'"
    [[ $callgrind -eq 0 ]] || die "-b is for timing mode only"
fi
if [[ -n "$dir" ]]; then
    [[ -z "$file" ]] || die "-f and -d exclude each other"
    [[ $callgrind -eq 0 ]] || die "-d is for timing mode only"
    [[ -d "$dir" ]] || die "-d: directory $dir does not exist"
fi

FIO=${FIO:-fio}
VALGRIND=${VALGRIND:-valgrind}
ZHTP_BENCH=${ZHTP_BENCH:-$repo_dir/build/benchmarks/zhtp-bench}

command -v python3 >/dev/null || die "python3 is required"
command -v "$FIO" >/dev/null || die "fio not found ('$FIO'); install fio or set FIO"
command -v "$ZHTP_BENCH" >/dev/null ||
    die "zhtp-bench not found at '$ZHTP_BENCH' (build it, or set ZHTP_BENCH; ZHTP_BENCH=fio gives an A/A test)"
if [[ $callgrind -eq 1 ]]; then
    command -v "$VALGRIND" >/dev/null || die "valgrind not found ('$VALGRIND')"
fi

# Extra options for the zhtp side.
zhtp_is_fio=0
[[ "$(basename "$ZHTP_BENCH")" == fio* ]] && zhtp_is_fio=1
if [[ -n "${ZHTP_BENCH_ARGS+x}" ]]; then
    read -r -a zhtp_args <<<"$ZHTP_BENCH_ARGS"
elif [[ $zhtp_is_fio -eq 1 ]]; then
    zhtp_args=(--ioengine=io_uring --fixedbufs --registerfiles)
    [[ $callgrind -eq 1 ]] && zhtp_args+=(--thread)
else
    zhtp_args=()
    # Valgrind holds its global lock across io_uring_enter: a reactor sleeping in the kernel
    # would starve the control thread, so idle reactors poll under callgrind.
    [[ $callgrind -eq 1 ]] && zhtp_args+=(--idle=poll)
fi

declare -A seen_job
for j in "${jobs[@]}"; do
    b=$(basename "$j" .fio)
    [[ -z "${seen_job[$b]:-}" ]] || die "two job files are named '$b' ($j and ${seen_job[$b]}); rename one"
    seen_job[$b]=$j
done

# timeout is fio's other name for runtime.
forbidden='ioengine|filename|directory|size|io_size|io_limit|number_ios|runtime|timeout|time_based|thread|fixedbufs|registerfiles'
for j in "${jobs[@]}"; do
    [[ -f "$j" && -r "$j" ]] || die "job file '$j' not found or not readable"
    if bad=$(grep -nEi "^[[:space:]]*($forbidden)[[:space:]]*(=|$)" "$j"); then
        die "job file '$j' sets options this script passes on the command line (remove them):
$bad"
    fi
done

work=$(mktemp -d "${TMPDIR:-/tmp}/compare-fio.XXXXXX")
shm_dir=""
busy_pid=""
cleanup() {
    if [[ -n "$busy_pid" ]]; then kill "$busy_pid" 2>/dev/null || true; fi
    if [[ -n "$shm_dir" ]]; then rm -rf -- "$shm_dir"; fi
    if [[ "${COMPARE_KEEP:-0}" == 1 ]]; then
        note "work directory kept: $work"
    else
        rm -rf -- "$work"
    fi
}
trap cleanup EXIT

# ---------------------------------------------------------------- python ---
py="$work/compare.py"
cat >"$py" <<'PYEOF'
import json, re, statistics, sys

def die(msg):
    sys.stderr.write("compare-fio: error: %s\n" % msg)
    sys.exit(1)

def parse_size(s):
    m = re.fullmatch(r"\s*(\d+)\s*([kmgtp]?)(i?b?)\s*", s, re.I)
    if not m:
        die("cannot parse size '%s' (use e.g. 1g, 64m, 4096k or bytes)" % s)
    mult = 1024 ** "_kmgtp".index(m.group(2).lower()) if m.group(2) else 1
    return int(m.group(1)) * mult

def fmt_size(n):
    for i, u in ((4, "t"), (3, "g"), (2, "m"), (1, "k")):
        if n % (1024 ** i) == 0:
            return "%d%s" % (n // 1024 ** i, u)
    return str(n)

def load(path):
    try:
        with open(path) as f:
            text = f.read()
    except OSError as e:
        die("cannot read %s: %s" % (path, e))
    start = text.find("{")
    if start < 0:
        die("no JSON in %s" % path)
    try:
        data, _ = json.JSONDecoder().raw_decode(text[start:])
    except ValueError as e:
        die("bad JSON in %s: %s" % (path, e))
    jobs = data.get("jobs")
    if not isinstance(jobs, list) or not jobs:
        die("no jobs[] in the JSON output %s" % path)
    for j in jobs:
        if j.get("error", 0):
            die("job '%s' reported error %s in %s" % (j.get("jobname"), j["error"], path))
    return jobs

DIRS = ("read", "write", "trim")

def extract(path, need_p99):
    """Print 'iops p99_us cpu ios' for one run's JSON."""
    jobs = load(path)
    iops = 0.0
    ios = 0
    cpu = 0.0
    p99 = None
    lat_off = False
    for j in jobs:
        cpu += float(j.get("usr_cpu", 0)) + float(j.get("sys_cpu", 0))
        for d in DIRS:
            s = j.get(d)
            if not isinstance(s, dict):
                continue
            n = int(s.get("total_ios", 0))
            iops += float(s.get("iops", 0))
            ios += n
            if n == 0 or not need_p99:
                continue
            clat = s.get("clat_ns") or {}
            if clat.get("N", 1) == 0 and "percentile" not in clat:
                lat_off = True  # gtod_reduce / disable_clat: no p99 to compare (shown as 0)
                continue
            try:
                v = float(s["clat_ns"]["percentile"]["99.000000"])
            except (KeyError, TypeError, ValueError):
                die("%s: %s.clat_ns.percentile[\"99.000000\"] missing in %s" % (j.get("jobname"), d, path))
            p99 = v if p99 is None else max(p99, v)
    if ios <= 0:
        die("no I/O reported (total_ios == 0) in %s" % path)
    if need_p99:
        if iops <= 0:
            die("IOPS is 0 in %s" % path)
        if p99 is None and not lat_off:
            die("no p99 latency in %s" % path)
    print("%.3f %.3f %.2f %d" % (iops, (p99 or 0) / 1000.0, cpu, ios))

def callgrind_ir(path):
    summary = totals = None
    with open(path) as f:
        for line in f:
            if line.startswith("totals:"):
                totals = int(line.split()[1])
            elif line.startswith("summary:"):
                summary = int(line.split()[1])
    ir = totals if totals is not None else summary
    if ir is None:
        die("no totals:/summary: line in callgrind output %s" % path)
    print(ir)

def ratio(a, b):
    return "n/a" if not b else "%.3f" % (a / b)

def fi(x):
    return "{:,.0f}".format(x)

def report(tsv):
    # columns: job round pos config iops p99 cpu ios
    runs = {}
    order = []
    with open(tsv) as f:
        for line in f:
            job, rnd, pos, cfg, iops, p99, cpu, _ios = line.split("\t")
            if job not in runs:
                runs[job] = {}
                order.append(job)
            runs[job].setdefault(int(rnd), {})[cfg] = (float(iops), float(p99), float(cpu), int(pos))
    out = []
    out.append("| job | fio IOPS | fio-fixed IOPS | zhtp IOPS | IOPS zhtp/best-fio "
               "| best fio | best-fio p99 (us) | zhtp p99 (us) | p99 zhtp/best-fio "
               "| A/A IOPS ratio | best-fio CPU % | zhtp CPU % |")
    out.append("|---|--:|--:|--:|--:|---|--:|--:|--:|--:|--:|--:|")
    pairs = []
    for job in order:
        rr = runs[job]
        med = {}
        for cfg in ("fio", "fio-fixed", "zhtp", "aa"):
            vals = [rr[r][cfg] for r in sorted(rr)]
            med[cfg] = tuple(statistics.median(v[k] for v in vals) for k in range(3))
        best = "fio-fixed" if med["fio-fixed"][0] >= med["fio"][0] else "fio"
        aa = statistics.median(rr[r]["aa"][0] / rr[r]["fio-fixed"][0] for r in rr)
        out.append("| %s | %s | %s | %s | **%s** | %s | %.1f | %.1f | **%s** | %.3f | %.1f | %.1f |" % (
            job, fi(med["fio"][0]), fi(med["fio-fixed"][0]), fi(med["zhtp"][0]),
            ratio(med["zhtp"][0], med[best][0]), best,
            med[best][1], med["zhtp"][1], ratio(med["zhtp"][1], med[best][1]),
            aa, med[best][2], med["zhtp"][2]))
        for r in sorted(rr):
            c = rr[r]
            seq = ",".join(k for k, _ in sorted(c.items(), key=lambda kv: kv[1][3]))
            pairs.append("| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                job, r, seq, fi(c["fio"][0]), fi(c["fio-fixed"][0]), fi(c["zhtp"][0]),
                fi(c["aa"][0]), ratio(c["zhtp"][0], c[best][0]),
                ratio(c["zhtp"][1], c[best][1]),
                ratio(c["aa"][0], c["fio-fixed"][0]),
                ratio(c["aa"][1], c["fio-fixed"][1])))
    out.append("")
    out.append("Per-round ratios (best fio as chosen above; A/A = aa / fio-fixed):")
    out.append("")
    out.append("| job | round | order | fio IOPS | fio-fixed IOPS | zhtp IOPS | aa IOPS "
               "| IOPS zhtp/best-fio | p99 zhtp/best-fio | A/A IOPS | A/A p99 |")
    out.append("|---|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|")
    out.extend(pairs)
    print("\n".join(out))

def cgreport(tsv):
    # columns: job tool size ios ir
    data = {}
    order = []
    with open(tsv) as f:
        for line in f:
            job, tool, size, ios, ir = line.rstrip("\n").split("\t")
            if job not in data:
                data[job] = {}
                order.append(job)
            data[job].setdefault(tool, []).append((parse_size(size), int(ios), int(ir), size))
    out = ["| job | fio-fixed Ir/IO | zhtp Ir/IO | zhtp/fio-fixed |", "|---|--:|--:|--:|"]
    raw = ["| job | tool | size | runs | I/Os | min Ir (used) | max Ir |",
           "|---|---|--:|--:|--:|--:|--:|"]
    for job in order:
        per = {}
        for tool in ("fio-fixed", "zhtp"):
            bysize = {}
            for b, ios, ir, s in data[job][tool]:
                bysize.setdefault((b, s), []).append((ir, ios))
            (small, large) = sorted(bysize)
            mins = {}
            for key in (small, large):
                runs = sorted(bysize[key])
                if len(set(ios for _, ios in runs)) != 1:
                    die("%s/%s size %s: I/O count differs between repetitions: %s"
                        % (job, tool, key[1], sorted(set(ios for _, ios in runs))))
                mins[key] = runs[0]
                raw.append("| %s | %s | %s | %d | %s | %s | %s |" % (
                    job, tool, key[1], len(runs), fi(runs[0][1]), fi(runs[0][0]), fi(runs[-1][0])))
            (ir1, ios1), (ir2, ios2) = mins[small], mins[large]
            if ios2 <= ios1:
                die("%s/%s: the larger run did not do more I/Os (%d vs %d)" % (job, tool, ios2, ios1))
            per[tool] = (ir2 - ir1) / (ios2 - ios1)
        out.append("| %s | %s | %s | **%s** |" % (
            job, fi(per["fio-fixed"]), fi(per["zhtp"]), ratio(per["zhtp"], per["fio-fixed"])))
    out += ["", "Raw counts (Ir/IO = (min Ir(large) - min Ir(small)) / (I/Os(large) - I/Os(small))):", ""]
    print("\n".join(out + raw))

def clones(path):
    # Job sections as fio sees them: "NAME NUMJOBS" each ([global] gives defaults).
    glob, jobs, cur = {}, [], None
    for raw in open(path):
        line = raw.split("#", 1)[0].split(";", 1)[0].strip()
        m = re.fullmatch(r"\[(.+)\]", line)
        if m:
            cur = glob if m.group(1) == "global" else {"name": m.group(1)}
            if cur is not glob:
                jobs.append(cur)
        elif line and cur is not None:
            key, _, val = line.partition("=")
            cur[key.strip().lower()] = val.strip()
    for job in jobs:
        opts = dict(glob, **job)
        if opts.get("nrfiles", "1") != "1":
            die("%s: -d takes one file per job clone; job '%s' sets nrfiles" % (path, job["name"]))
        print(opts["name"], opts.get("numjobs", "1"))

cmd, args = sys.argv[1], sys.argv[2:]
if cmd == "size":
    print(parse_size(args[0]))
elif cmd == "fmtsize":
    print(fmt_size(int(args[0])))
elif cmd == "extract":
    extract(args[0], True)
elif cmd == "extract-ios":
    extract(args[0], False)
elif cmd == "ir":
    callgrind_ir(args[0])
elif cmd == "report":
    report(args[0])
elif cmd == "clones":
    clones(args[0])
elif cmd == "cgreport":
    cgreport(args[0])
else:
    die("internal: unknown helper command %s" % cmd)
PYEOF

pyh() { python3 "$py" "$@"; }

# ------------------------------------------------------------- utilities ---

# ensure_file PATH BYTES: PATH is a non-sparse regular file of BYTES bytes
# with random content (or a block device of at least BYTES bytes, or a
# character device such as /dev/zero, which has no size and refuses O_DIRECT:
# the job files must say direct=0).
ensure_file() {
    local path=$1 bytes=$2 cur alloc
    if [[ -c "$path" ]]; then
        note "using character device $path as is"
        return
    fi
    if [[ -b "$path" ]]; then
        cur=$(blockdev --getsize64 "$path" 2>/dev/null || echo 0)
        [[ "$cur" -ge "$bytes" ]] || die "block device $path is smaller than $bytes bytes"
        note "using block device $path as is"
        return
    fi
    [[ -e "$path" && ! -f "$path" ]] && die "$path exists and is not a regular file"
    if [[ -f "$path" ]]; then
        cur=$(stat -c %s "$path")
        alloc=$(($(stat -c '%b * %B' "$path")))
        if [[ "$cur" -eq "$bytes" && "$alloc" -ge "$bytes" ]]; then
            note "reusing $path ($bytes bytes)"
            return
        fi
        note "$path is $cur bytes ($alloc allocated), want $bytes: rewriting it"
    fi
    local dir tmp
    dir=$(dirname "$path")
    [[ -d "$dir" ]] || die "directory $dir does not exist"
    tmp="$path.tmp.$$"
    note "writing $bytes bytes of random data to $path"
    if ! head -c "$bytes" /dev/urandom |
        dd of="$tmp" bs=1M iflag=fullblock conv=fsync status=none; then
        rm -f -- "$tmp"
        die "could not write $path (disk full?)"
    fi
    mv -f -- "$tmp" "$path"
}

# Every file of FILE's ':' list, each with its share of the bytes (both tools split size).
ensure_files() {
    local list=$1 bytes=$2 names f
    IFS=: read -ra names <<<"$list"
    for f in "${names[@]}"; do
        ensure_file "$f" $((bytes / ${#names[@]}))
    done
}

# run_json LABEL OUTJSON CMD...: run CMD with stdout to OUTJSON; die on failure.
run_json() {
    local label=$1 out=$2 rc=0
    shift 2
    "$@" >"$out" 2>"$out.err" || rc=$?
    if [[ $rc -ne 0 ]]; then
        {
            printf 'compare-fio: error: %s failed (exit %d)\n' "$label" "$rc"
            printf '  command: %s\n' "$(printf '%q ' "$@")"
            printf '  stderr (last lines):\n'
            tail -n 20 "$out.err" | sed 's/^/    /'
            printf '  stdout (last lines):\n'
            tail -n 5 "$out" | sed 's/^/    /'
        } >&2
        exit 1
    fi
}

emit_report() {
    # emit_report TITLE BODYFILE
    local title=$1 body=$2 hdr="$work/header.md"
    {
        printf '## %s (%s)\n\n' "$title" "$(date '+%Y-%m-%d %H:%M:%S %z')"
        printf '%s\n%s\n%s\n\n' "\`\`\`" "$cmdline" "\`\`\`"
        printf -- '- host: %s, %s CPUs, kernel %s\n' "$(hostname)" "$(nproc)" "$(uname -r)"
        printf -- '- fio: %s (%s)\n' "$("$FIO" --version 2>/dev/null || echo '?')" "$(command -v "$FIO")"
        printf -- '- zhtp-bench: %s %s\n' "$(command -v "$ZHTP_BENCH")" "${zhtp_args[*]:-}"
        if [[ -n "$dir" ]]; then
            printf -- '- directory: %s (one file per job clone), size: %s each' "$dir" "$size"
        else
            printf -- '- file: %s, size: %s' "$file" "$size"
        fi
        if [[ $callgrind -eq 0 ]]; then
            printf ', runtime: %ss, rounds: %s\n' "${runtime%s}" "$rounds"
            if [[ -n "$busy_core" ]]; then
                printf -- '- busy neighbour: a busy loop pinned to core %s throughout\n' "$busy_core"
            fi
            printf -- "- CPU %%: fio's is its job threads' alone (RUSAGE_THREAD); zhtp-bench's is its whole\n"
            printf -- "  process's, the kernel's io-wq workers doing its I/O included (RUSAGE_SELF)\n"
            printf '\n'
        else
            printf ' and %s, repetitions: %s\n\n' "$size2" "$rounds"
        fi
    } >"$hdr"
    cat "$hdr" "$body"
    if [[ -n "$report" ]]; then
        { cat "$hdr" "$body"; printf '\n'; } >>"$report" || die "cannot append to $report"
        note "report appended to $report"
    fi
}

# --------------------------------------------------------- callgrind mode ---
if [[ $callgrind -eq 1 ]]; then
    size=${size:-64m}
    bytes=$(pyh size "$size")
    size2=$(pyh fmtsize $((bytes * 2)))
    if [[ -z "$file" ]]; then
        shm_dir=$(mktemp -d /dev/shm/compare-fio.XXXXXX)
        file="$shm_dir/callgrind.dat"
    fi
    ensure_files "$file" $((bytes * 2))
    tsv="$work/callgrind.tsv"
    : >"$tsv"
    fio_cg=(--thread --ioengine=io_uring --fixedbufs --registerfiles)
    for j in "${jobs[@]}"; do
        name=$(basename "$j" .fio)
        for tool in fio-fixed zhtp; do
            for ((rep = 1; rep <= rounds; rep++)); do
                for s in "$size" "$size2"; do
                    base="$work/$name.$tool.$s.$rep"
                    if [[ $tool == zhtp ]]; then
                        cmd=("$ZHTP_BENCH" --output-format=json "--filename=$file" "--size=$s" "${zhtp_args[@]}" "$j")
                    else
                        cmd=("$FIO" --output-format=json "--filename=$file" "--size=$s" "${fio_cg[@]}" "$j")
                    fi
                    note "[$name] callgrind $tool size=$s (repetition $rep/$rounds)"
                    run_json "$tool under callgrind ($name, size $s, repetition $rep)" "$base.json" \
                        "$VALGRIND" --tool=callgrind --trace-children=no \
                        "--callgrind-out-file=$base.callgrind" "--log-file=$base.valgrind.log" \
                        "${cmd[@]}"
                    vals=$(pyh extract-ios "$base.json")
                    read -r _ _ _ ios <<<"$vals"
                    ir=$(pyh ir "$base.callgrind")
                    note "[$name] $tool size=$s: $ios I/Os, $ir Ir"
                    printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$tool" "$s" "$ios" "$ir" >>"$tsv"
                done
            done
        done
    done
    pyh cgreport "$tsv" >"$work/body.md"
    emit_report "compare-fio --callgrind: user-space instructions per I/O" "$work/body.md"
    exit 0
fi

# ------------------------------------------------------------ timing mode ---
size=${size:-1g}
bytes=$(pyh size "$size")
if [[ -n "$dir" ]]; then
    where=("--directory=$dir")
    for j in "${jobs[@]}"; do
        sections=$(pyh clones "$j")
        while read -r jname clones; do
            for ((c = 0; c < clones; c++)); do ensure_file "$dir/$jname.$c.0" "$bytes"; done
        done <<<"$sections"
    done
else
    file=${file:-zhtp-compare.dat}
    where=("--filename=$file")
    ensure_files "$file" "$bytes"
fi

declare -A cfg_tool cfg_args
cfg_tool[fio]=$FIO
cfg_args[fio]="--ioengine=io_uring"
cfg_tool[fio-fixed]=$FIO
cfg_args[fio-fixed]="--ioengine=io_uring --fixedbufs --registerfiles"
cfg_tool[aa]=$FIO
cfg_args[aa]=${cfg_args[fio-fixed]}
cfg_tool[zhtp]=$ZHTP_BENCH

forward=(fio fio-fixed zhtp aa)
mirrored=(aa zhtp fio-fixed fio)
total=$((${#jobs[@]} * rounds * 4))
note "$total runs of ${runtime%s}s each (about $((total * (${runtime%s} + 1)))s)"

if [[ -n "$busy_core" ]]; then
    taskset -c "$busy_core" sh -c 'while :; do :; done' &
    busy_pid=$!
    note "busy loop on core $busy_core (pid $busy_pid)"
fi

tsv="$work/runs.tsv"
: >"$tsv"
n=0
for j in "${jobs[@]}"; do
    name=$(basename "$j" .fio)
    for ((r = 1; r <= rounds; r++)); do
        if ((r % 2 == 1)); then seq=("${forward[@]}"); else seq=("${mirrored[@]}"); fi
        pos=0
        for cfg in "${seq[@]}"; do
            pos=$((pos + 1))
            n=$((n + 1))
            if [[ $cfg == zhtp ]]; then
                extra=("${zhtp_args[@]}")
            else
                read -r -a extra <<<"${cfg_args[$cfg]}"
            fi
            out="$work/$name.r$r.$cfg.json"
            run_json "$cfg run ($name, round $r)" "$out" \
                "${cfg_tool[$cfg]}" --output-format=json "${where[@]}" "--size=$size" \
                "--runtime=$runtime" --time_based "${extra[@]}" "$j"
            vals=$(pyh extract "$out")
            read -r iops p99 cpu ios <<<"$vals"
            printf -v msg '[%d/%d] %s round %d %-9s %12.0f IOPS  p99 %9.1f us  cpu %5.1f%%' \
                "$n" "$total" "$name" "$r" "$cfg" "$iops" "$p99" "$cpu"
            note "$msg"
            printf '%s\t%d\t%d\t%s\t%s\t%s\t%s\t%s\n' \
                "$name" "$r" "$pos" "$cfg" "$iops" "$p99" "$cpu" "$ios" >>"$tsv"
        done
    done
done

pyh report "$tsv" >"$work/body.md"
emit_report "compare-fio: zhtp-bench vs fio" "$work/body.md"
