#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_zhtpctl.sh - zhtpctl end to end, as a person uses it, on a small store of six 64 MiB
# file devices in a scratch directory: format (and refusing to format twice); put of files and
# stdin (one hash per file, identical content -> identical hash; a file whose content is
# stored takes a reference and leaves the device files as they were); get whole and ranged, byte
# for byte; unknown and malformed hashes; stat/ls in text and --json (size, refcount, access
# statistics, --noatime); rm by reference; fsck, scrub and repair after garbage is written over
# a device file and after a device file is deleted (degraded reads in between; an object put
# meanwhile has its crowded chunks spread by the repair); a second
# zhtpctl refused while a rate-limited scrub holds the store; an encrypted store (--key-file:
# a new 0600 key file at format, objects back byte for byte, fsck clean, refused without its
# key, with another key, with a malformed key file; a plain store refuses a key); numbers out of
# their option's range, and rm with a malformed hash among good ones, refused as bad usage.
#   usage: test_zhtpctl.sh PATH/TO/zhtpctl
# Needs only bash, coreutils and grep/sed (neither jq nor python3 is among the build packages):
# the --json output is read with sed, one key per line as cJSON's printer lays it out.
set -euo pipefail

if [[ $# -ne 1 || ! -x $1 ]]; then
	echo "usage: $0 PATH/TO/zhtpctl" >&2
	exit 2
fi
ZHTPCTL=$1
W=$(mktemp -d "${TMPDIR:-/tmp}/test_zhtpctl.XXXXXX")
S=$W/store
BG_PID=

cleanup()
{
	if [[ -n $BG_PID ]] && kill -0 "$BG_PID" 2>/dev/null; then
		kill "$BG_PID" 2>/dev/null || true
		wait "$BG_PID" 2>/dev/null || true
	fi
	rm -rf "$W"
}
trap cleanup EXIT

step() { echo "test_zhtpctl: $*"; }

fail()
{
	echo "test_zhtpctl: FAIL: $*" >&2
	if [[ -s $W/out ]]; then
		echo "--- last stdout:" >&2
		head -n 40 "$W/out" >&2
	fi
	if [[ -s $W/err ]]; then
		echo "--- last stderr:" >&2
		head -n 40 "$W/err" >&2
	fi
	exit 1
}

# z ARGS...: run zhtpctl on the store; stdout in $W/out, stderr in $W/err, exit status in $rc.
rc=0
z()
{
	rc=0
	"$ZHTPCTL" -d "$S" "$@" >"$W/out" 2>"$W/err" || rc=$?
}

# ok ARGS...: z, and fail unless it exited 0.
ok()
{
	z "$@"
	[[ $rc -eq 0 ]] || fail "zhtpctl $* exited $rc, expected 0"
}

# refused CODE REGEX ARGS...: z, and fail unless it exited CODE with REGEX on stderr.
refused()
{
	local want=$1 re=$2

	shift 2
	z "$@"
	[[ $rc -eq $want ]] || fail "zhtpctl $* exited $rc, expected $want"
	[[ -z $re ]] || grep -Eq -- "$re" "$W/err" || fail "zhtpctl $*: stderr lacks /$re/"
}

# json KEY: the values of KEY in $W/out (zhtpctl --json), one per line, unquoted.
json()
{
	sed -n "s/^[[:space:]]*\"$1\":[[:space:]]*//p" "$W/out" | sed 's/,$//; s/^"\(.*\)"$/\1/'
}

# expect_eq WHAT GOT WANT
expect_eq()
{
	[[ $2 == "$3" ]] || fail "$1: got '$2', expected '$3'"
}

# same FILE1 FILE2 WHAT: byte-for-byte comparison.
same()
{
	cmp -s -- "$1" "$2" || fail "$3: $1 and $2 differ ($(cmp -- "$1" "$2" 2>&1 || true))"
}

# ---- format ----------------------------------------------------------------------------------

step "format"
ok format --dev-size 64m
grep -q "formatted $S: 6 devices" "$W/out" || fail "format: unexpected report"
for d in 0 1 2 3 4 5; do
	[[ $(stat -c %s "$S/dev$d.img") -eq $((64 << 20)) ]] || fail "format: dev$d.img not 64 MiB"
done
ok --json info
uuid=$(json uuid)
[[ $uuid =~ ^[0-9a-f]{32}$ ]] || fail "info --json: bad uuid '$uuid'"
expect_eq "info: devices present" "$(json present | grep -c true)" 6

step "format again is refused"
refused 1 "zhtpctl: $S: " format --dev-size 64m
ok --json info
expect_eq "info after refused format: uuid" "$(json uuid)" "$uuid"

step "format over another store's devices is refused without --force"
devs=()
for d in 0 1 2 3 4 5; do devs+=(--dev "$S/dev$d.img"); done
refused 1 "--force writes over devices" -d "$W/thief" format "${devs[@]}"
ok --json info
expect_eq "info after refused takeover: uuid" "$(json uuid)" "$uuid"
[[ ! -e $W/thief/index ]] || fail "refused format made an index"

step "bad usage exits 2"
refused 2 "unknown command 'frobnicate'" frobnicate
refused 2 "usage:" get

# Numbers that do not fit their option were taken modulo 2^32 (or 2^64), and '-' wrapped:
# --devices 4294967302 --k 4294967300 formatted a 6-device 4+2 store, --zstd -1 meant auto.
step "numbers out of their option's range are refused"
refused 2 "^zhtpctl: --devices: '4294967302' is out of range" -d "$W/wrap" format \
	--devices 4294967302 --dev-size 64m
refused 2 "^zhtpctl: --k: '4294967300' is out of range" -d "$W/wrap" format --k 4294967300 \
	--dev-size 64m
refused 2 "^zhtpctl: --m: '4294967298' is out of range" -d "$W/wrap" format --m 4294967298 \
	--dev-size 64m
refused 2 "^zhtpctl: --small: '4294971392' is out of range" -d "$W/wrap" format \
	--small 4294971392 --dev-size 64m
refused 2 "^zhtpctl: --chunk: '4194304k' is out of range" -d "$W/wrap" format --chunk 4194304k \
	--dev-size 64m
refused 2 "^zhtpctl: --dev-size: '18446744073709551616' is out of range" -d "$W/wrap" format \
	--dev-size 18446744073709551616
refused 2 "^zhtpctl: --dev-size: '17179869184g' is out of range" -d "$W/wrap" format \
	--dev-size 17179869184g
refused 2 "^zhtpctl: --dev-size: bad size '-64m'" -d "$W/wrap" format --dev-size -64m
[[ ! -e $W/wrap ]] || fail "a refused format made $W/wrap"
refused 2 "^zhtpctl: --zstd takes auto or 0..19" put --zstd 4294967297 /dev/null
refused 2 "^zhtpctl: --zstd takes auto or 0..19" put --zstd -1 /dev/null
refused 2 "^zhtpctl: --length: bad size '-1'" get --length -1 0
refused 2 "^zhtpctl: --offset: bad size ' 1'" get --offset " 1" 0
refused 2 "^zhtpctl: --rate: '18014398509481984k' is out of range" scrub \
	--rate 18014398509481984k
expect_eq "refused options: stderr lines" "$(wc -l <"$W/err")" 1

# ---- put ---------------------------------------------------------------------------------------

step "put files"
F=$W/files
mkdir "$F"
: >"$F/empty"
printf 'abc' >"$F/three"
head -c 20000 /dev/urandom >"$F/twenty"
head -c $((3 << 20)) /dev/urandom >"$F/big"
cp "$F/twenty" "$F/twenty.copy"
ok put "$F/empty" "$F/three" "$F/twenty" "$F/big" "$F/twenty.copy"
expect_eq "put: lines printed" "$(wc -l <"$W/out")" 5
names=(empty three twenty big twenty.copy)
declare -A H
i=0
while read -r hash file; do
	[[ $hash =~ ^[0-9a-f]{64}$ ]] || fail "put: '$hash' is not a 64-digit hex hash"
	expect_eq "put: file on line $((i + 1))" "$file" "$F/${names[i]}"
	H[${names[i]}]=$hash
	i=$((i + 1))
done <"$W/out"
expect_eq "put: hash of identical content" "${H[twenty.copy]}" "${H[twenty]}"
distinct=$(printf '%s\n' "${H[empty]}" "${H[three]}" "${H[twenty]}" "${H[big]}" | sort -u | wc -l)
expect_eq "put: distinct hashes of distinct content" "$distinct" 4

step "put - (stdin)"
printf 'hello from stdin\n' >"$F/stdin"
z put - <"$F/stdin"
[[ $rc -eq 0 ]] || fail "put - exited $rc"
read -r hash file <"$W/out"
[[ $hash =~ ^[0-9a-f]{64}$ && $file == - ]] || fail "put -: unexpected output"
H[stdin]=$hash
z --json put - <"$F/stdin"
[[ $rc -eq 0 ]] || fail "--json put - exited $rc"
expect_eq "--json put -: hash of the same stdin" "$(json hash)" "${H[stdin]}"
expect_eq "--json put -: status" "$(json status)" 0

step "put of stored content takes a reference and writes nothing"
head -c $((2 << 20)) /dev/urandom >"$F/dup"
cp "$F/dup" "$F/dup.copy"
ok --json put "$F/dup"
expect_eq "--json put: a new file is not referenced" "$(json referenced)" false
sums=$(cksum "$S"/dev*.img)
ok --json put "$F/dup.copy"
expect_eq "--json put: its copy is referenced" "$(json referenced)" true
expect_eq "device files after a referenced put" "$(cksum "$S"/dev*.img)" "$sums"
dup=$(json hash)
ok --json stat "$dup"
expect_eq "referenced put: refcount" "$(json refcount)" 2
# stdin cannot be read twice: it is put, and deduplicated when it commits.
ok --json put - <"$F/dup"
expect_eq "--json put -: never referenced" "$(json referenced)" false
ok --json put --no-hash-first "$F/dup.copy"
expect_eq "--json put --no-hash-first: not referenced" "$(json referenced)" false
ok --json stat "$dup"
expect_eq "puts of stored content: refcount" "$(json refcount)" 4
ok rm "$dup" "$dup" "$dup" "$dup"
z stat "$dup"
[[ $rc -ne 0 ]] || fail "four references, four rm: still stored"

# ---- get ---------------------------------------------------------------------------------------

G=$W/got
mkdir "$G"
step "get -o reproduces every file"
for n in empty three twenty big stdin; do
	ok get "${H[$n]}" -o "$G/$n"
	same "$F/$n" "$G/$n" "get ${H[$n]} -o"
done
ok get --noatime "${H[big]}"
same "$F/big" "$W/out" "get big to stdout"

step "get --offset/--length"
# A range across both 1 MiB chunk boundaries, compared with dd.
ok get --noatime "${H[big]}" --offset 1000000 --length 1500000 -o "$G/slice"
dd if="$F/big" of="$G/slice.want" iflag=skip_bytes,count_bytes skip=1000000 count=1500000 \
	status=none
same "$G/slice.want" "$G/slice" "get big --offset 1000000 --length 1500000"
ok get --noatime "${H[big]}" --offset 1m
tail -c +$((1048576 + 1)) "$F/big" >"$G/tail.want"
same "$G/tail.want" "$W/out" "get big --offset 1m"
ok get --noatime "${H[big]}" --length 5000
head -c 5000 "$F/big" >"$G/head.want"
same "$G/head.want" "$W/out" "get big --length 5000"
ok get --noatime "${H[big]}" --offset $(((3 << 20) - 728)) --length 100000
tail -c 728 "$F/big" >"$G/end.want"
same "$G/end.want" "$W/out" "get big: a length past the end stops at the end"
ok get --noatime "${H[twenty]}" --offset 12345 --length 4000
# Not tail | head: under pipefail, head leaving early kills tail with SIGPIPE now and then
# (14 of 2,000 runs), and set -e ended the test without a word.
dd if="$F/twenty" of="$G/twenty.want" iflag=skip_bytes,count_bytes skip=12345 count=4000 \
	status=none
same "$G/twenty.want" "$W/out" "get twenty --offset 12345 --length 4000"
ok get --noatime "${H[three]}" --offset 1 --length 1
expect_eq "get three --offset 1 --length 1" "$(cat "$W/out")" b

step "get of unknown and malformed hashes"
unknown=$(printf '%064d' 0)
refused 1 "$unknown: no such object" get "$unknown" -o "$G/unknown"
[[ ! -e $G/unknown ]] || fail "get of an unknown hash created its -o file"
refused 2 "not a 64-digit hex hash" get 12345
refused 2 "not a 64-digit hex hash" get "${H[big]:0:63}g"
refused 1 "no such object" stat "$unknown"
refused 2 "not a 64-digit hex hash" stat not-a-hash
expect_eq "stat not-a-hash: messages" "$(wc -l <"$W/err")" 1
refused 2 "not a 64-digit hex hash" rm not-a-hash

step "a failed get -o leaves an existing file alone; --json get keeps stdout for the data"
echo precious >"$G/keep"
refused 2 "offset 4 is past the end \(3 bytes\)" get --noatime "${H[three]}" --offset 4 -o "$G/keep"
expect_eq "get past the end -o keep: keep" "$(cat "$G/keep")" precious
[[ ! -e $G/keep.part ]] || fail "a failed get left $G/keep.part"
ok --json get --noatime "${H[twenty]}"
same "$F/twenty" "$W/out" "--json get to stdout"
grep -q '"status":' "$W/err" || fail "--json get to stdout: no report on stderr"

# ---- stat, access statistics, ls -------------------------------------------------------------

step "stat and --json stat"
ok stat "${H[twenty]}"
grep -Eq "^${H[twenty]} +20000 chunked +refs 2  twenty$" "$W/out" ||
	fail "stat twenty: first line"
ok --json stat "${H[twenty]}" "${H[three]}" "${H[empty]}" "${H[big]}"
expect_eq "--json stat: sizes" "$(json size | tr '\n' ' ')" "20000 3 0 3145728 "
expect_eq "--json stat: refcounts" "$(json refcount | tr '\n' ' ')" "2 1 1 1 "
expect_eq "--json stat: layouts" "$(json layout | tr '\n' ' ')" "chunked inline inline chunked "
expect_eq "--json stat: chunks of big" "$(json chunks | tail -n 1)" 3

step "access statistics (get counts, --noatime does not)"
# stdin's object has been read once by the get -o loop above; put a fresh one.
printf 'read me twice\n' >"$F/atime"
ok put "$F/atime"
H[atime]=$(awk '{print $1}' "$W/out")
ok stat "${H[atime]}"
grep -q "^  read 0 times, last at 0$" "$W/out" || fail "stat of an unread object: access line"
t0=$(date +%s)
ok get "${H[atime]}"
same "$F/atime" "$W/out" "get atime (1st)"
ok get "${H[atime]}" -o "$G/atime"
same "$F/atime" "$G/atime" "get atime (2nd)"
ok get --noatime "${H[atime]}"
same "$F/atime" "$W/out" "get --noatime atime"
t1=$(date +%s)
ok stat "${H[atime]}"
line=$(grep "^  read " "$W/out") || fail "stat atime: no 'read N times' line"
[[ $line =~ ^\ \ read\ 2\ times,\ last\ at\ ([0-9]+)$ ]] ||
	fail "stat atime: '$line', expected read 2 times"
last_text=${BASH_REMATCH[1]}
ok --json stat "${H[atime]}"
expect_eq "--json stat atime: access_count" "$(json access_count)" 2
last=$(json last_accessed)
expect_eq "--json stat atime: last_accessed, text vs json" "$last" "$last_text"
# The store's clock is CLOCK_REALTIME_COARSE: allow it a second behind date(1).
((last >= t0 - 1 && last <= t1)) || fail "last_accessed $last not within [$t0, $t1]"
((last >= $(json created))) || fail "last_accessed $last before created $(json created)"

step "ls and --json ls"
ok ls
expect_eq "ls: lines" "$(wc -l <"$W/out")" 6
for n in empty three twenty big stdin atime; do
	grep -q "^${H[$n]} " "$W/out" || fail "ls does not list $n"
done
ok --json ls
expect_eq "--json ls: entries" "$(json hash | wc -l)" 6
expect_eq "--json ls: total size" "$(($(json size | paste -sd+)))" \
	$((0 + 3 + 20000 + (3 << 20) + 17 + 14))

# ---- rm ----------------------------------------------------------------------------------------

# Regression: rm deleted the hashes before a malformed one, then exited 2 (bad usage).
step "rm with a malformed hash deletes nothing"
refused 2 "'nothex' is not a 64-digit hex hash" rm "${H[twenty]}" nothex
ok --json stat "${H[twenty]}"
expect_eq "refused rm: refcount" "$(json refcount)" 2

step "rm drops one reference, then the object"
ok get "${H[twenty]}" -o "$G/twenty2" # a read, for the access record to go with the object
ok rm "${H[twenty]}"
ok --json stat "${H[twenty]}"
expect_eq "rm once: refcount" "$(json refcount)" 1
ok get --noatime "${H[twenty]}" -o "$G/twenty3"
same "$F/twenty" "$G/twenty3" "get twenty after one rm"
ok --json rm "${H[twenty]}"
expect_eq "--json rm: ok" "$(json ok)" true
refused 1 "${H[twenty]}: no such object" get "${H[twenty]}"
refused 1 "no such object" stat "${H[twenty]}"
refused 1 "no such object" rm "${H[twenty]}"
ok ls
expect_eq "ls after rm: lines" "$(wc -l <"$W/out")" 5
grep -q "^${H[twenty]} " "$W/out" && fail "ls still lists the removed object"
# Put again: a new object, with no access statistics left over from the old one.
ok put "$F/twenty"
expect_eq "put after rm: hash" "$(awk '{print $1}' "$W/out")" "${H[twenty]}"
ok --json stat "${H[twenty]}"
expect_eq "put after rm: refcount" "$(json refcount)" 1
expect_eq "put after rm: access_count" "$(json access_count)" 0

# ---- fsck, scrub: garbage over a device file --------------------------------------------------

step "fsck of the clean store"
ok fsck
grep -q ": clean$" "$W/out" || fail "fsck: no 'clean'"
ok --json fsck
expect_eq "--json fsck: clean" "$(json clean)" true
expect_eq "--json fsck: extents_leaked" "$(json extents_leaked)" 0

step "garbage over dev1.img: fsck finds it, scrub repairs it"
# Shards start after the 4 KiB superblock; the 3 MiB object's fill the first ~800 KiB of each
# device, so 256 KiB at 256 KiB lands inside them.
dd if=/dev/urandom of="$S/dev1.img" bs=64K seek=4 count=4 conv=notrunc status=none
refused 1 "" fsck
grep -q "shards missing or corrupt" "$W/out" || fail "fsck: corrupt shards not named"
grep -q ": PROBLEMS$" "$W/out" || fail "fsck: no 'PROBLEMS'"
z --json fsck
expect_eq "--json fsck after garbage: status" "$rc" 1
expect_eq "--json fsck after garbage: clean" "$(json clean)" false
bad=$(json shards_bad)
((bad > 0)) || fail "--json fsck after garbage: shards_bad $bad"
ok get --noatime "${H[big]}" -o "$G/big.corrupt"
same "$F/big" "$G/big.corrupt" "get big with a corrupt shard"
refused 1 "" scrub --no-repair
refused 1 "" fsck # --no-repair left it alone
ok scrub
grep -q "repaired: clean$" "$W/out" || fail "scrub: no 'repaired: clean'"
ok fsck
ok get --noatime "${H[big]}" -o "$G/big.scrubbed"
same "$F/big" "$G/big.scrubbed" "get big after scrub"

# ---- repair: a lost device file ---------------------------------------------------------------

step "dev2.img deleted: degraded get, repair, fsck"
rm "$S/dev2.img"
ok info
grep -Eq "dev  2 .*MISSING" "$W/out" || fail "info: dev 2 not MISSING"
ok get "${H[big]}" -o "$G/big.degraded"
same "$F/big" "$G/big.degraded" "degraded get of big"
ok get --noatime "${H[twenty]}" -o "$G/twenty.degraded"
same "$F/twenty" "$G/twenty.degraded" "degraded get of twenty"
refused 1 "" fsck
grep -q "dev 2 .*missing" "$W/out" || fail "fsck: missing dev 2 not named"
# Put while dev 2 is missing: each chunk's six shards over five devices, two on one.
head -c $((2 << 20)) /dev/urandom >"$F/crowd"
ok put "$F/crowd"
read -r H[crowd] _ <"$W/out"
ok repair
grep -q "dev 2 .*replaced" "$W/out" || fail "repair: dev 2 not reported replaced"
grep -q "crowded chunks spread" "$W/out" || fail "repair: crowded chunks not spread"
grep -q "repaired, 2 crowded chunks spread: clean$" "$W/out" ||
	fail "repair: not 'repaired, 2 crowded chunks spread: clean'"
ok --json fsck
expect_eq "fsck after repair: chunks crowded" "$(json chunks_crowded)" 0
ok get --noatime "${H[crowd]}" -o "$G/crowd.spread"
same "$F/crowd" "$G/crowd.spread" "get crowd after its chunks were spread"
ok rm "${H[crowd]}"
[[ -f $S/dev2.img ]] || fail "repair did not recreate dev2.img"
ok --json info
expect_eq "info after repair: devices present" "$(json present | grep -c true)" 6
ok fsck
for n in empty three twenty big stdin atime; do
	ok get --noatime "${H[$n]}" -o "$G/$n.repaired"
	same "$F/$n" "$G/$n.repaired" "get $n after repair"
done

# ---- one process at a time ---------------------------------------------------------------------

step "a second zhtpctl is refused while a scrub holds the store"
# A read-only scrub at 512 KiB/s of ~4.6 MiB of shards holds the store for about 9 s: time for
# the two probes below under ASan on a loaded machine (1 MiB/s left them 4.6 s).
"$ZHTPCTL" -d "$S" scrub --no-repair --rate 512k >"$W/bg.out" 2>"$W/bg.err" &
BG_PID=$!
# Wait until it holds the lock (its flock on zhtp.lock shows in /proc/locks), so that no probe
# of ours takes the lock first.
ino=$(stat -c %i "$S/zhtp.lock")
for ((i = 0; i < 100; i++)); do
	awk -v ino="$ino" '$2 == "FLOCK" && $6 ~ (":" ino "$") {f = 1} END {exit !f}' \
		/proc/locks && break
	kill -0 "$BG_PID" 2>/dev/null || fail "the background scrub ended before taking the lock"
	sleep 0.1
done
((i < 100)) || fail "the background scrub did not take the store's lock in 10 s"
refused 1 "$S is in use by another process" info
refused 1 "$S is in use by another process" put "$F/three"
kill -0 "$BG_PID" 2>/dev/null || fail "the scrub ended before the second zhtpctl was tried"
bg_rc=0
wait "$BG_PID" || bg_rc=$?
BG_PID=
[[ $bg_rc -eq 0 ]] || fail "background scrub exited $bg_rc: $(cat "$W/bg.err")"
grep -q ": clean$" "$W/bg.out" || fail "background scrub: no 'clean'"
ok --json stat "${H[three]}"
expect_eq "refused put stored nothing: refcount of three" "$(json refcount)" 1

# ---- an encrypted store -----------------------------------------------------------------------

step "an encrypted store: format makes a key file, reads need it"
S_PLAIN=$S
S=$W/secret
K=$W/store.key
ok format --dev-size 64m --key-file "$K"
grep -q "new key in $K" "$W/out" || fail "encrypted format: no word of the new key file"
grep -q "encrypted$" "$W/out" || fail "encrypted format: report does not say encrypted"
expect_eq "key file mode" "$(stat -c %a "$K")" 600
expect_eq "key file size" "$(stat -c %s "$K")" 32
ok --key-file "$K" put "$F/twenty" "$F/big"
read -r h_twenty _ <"$W/out"
expect_eq "encrypted put: same name as in the plain store" "$h_twenty" "${H[twenty]}"
ok --key-file "$K" get "${H[big]}" -o "$W/big.back"
same "$F/big" "$W/big.back" "encrypted get of big"
ok --key-file "$K" get "${H[twenty]}" -o "$W/twenty.back"
same "$F/twenty" "$W/twenty.back" "encrypted get of twenty"
ok --key-file "$K" --json stat "${H[big]}"
expect_eq "stat --json: encrypted" "$(json encrypted)" true
ok --key-file "$K" fsck
refused 1 "$S is encrypted: give its key with --key-file" get "${H[big]}" -o "$W/x"
head -c 32 /dev/urandom >"$W/other.key"
chmod 600 "$W/other.key"
refused 1 "is not the key of $S" --key-file "$W/other.key" info
head -c 31 /dev/urandom >"$W/short.key"
refused 2 "holds exactly 32 bytes" --key-file "$W/short.key" info
refused 1 "$S_PLAIN is not encrypted: drop --key-file" -d "$S_PLAIN" --key-file "$K" info

step "--zstd takes auto and the levels 0..19"
for level in auto 0 19; do
	ok --key-file "$K" put --zstd "$level" "$F/three"
done

echo "test_zhtpctl: ok"
