# SPDX-License-Identifier: MIT
# The two commands: `make run` (install what is missing, build, run the main job) and
# `make test` (the same set-up, then every test suite: unit, ASan+UBSan, TSan, fuzz smoke).
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
FUZZ_SECONDS ?= 15

.PHONY: all deps deps-bench deps-qemu build run run-device test test-crash test-qemu test-unit test-asan test-tsan fuzz \
	bench bench-codec \
	format format-check clean

all: build

deps:
	@tools/install-deps.sh build

deps-bench:
	@tools/install-deps.sh bench

deps-qemu:
	@tools/install-deps.sh qemu

$(BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS) >/dev/null

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

# The main job: a store of six file devices under ./var/zhtp/ (formatted on first use, with
# README.md as its first object), zhtp-bench putting and getting large and small objects on
# it, then a full fsck (which exits non-zero on any problem).
STORE ?= var/zhtp
run: build
	@test -d $(STORE)/index || { $(BUILD)/zhtpctl -d $(STORE) format && \
		$(BUILD)/zhtpctl -d $(STORE) put README.md; }
	$(BUILD)/benchmarks/zhtp-bench benchmarks/jobs/store.fio
	$(BUILD)/zhtpctl -d $(STORE) fsck

# The engine's raw device path alone (the first main job): 4 KiB random I/O on a file.
run-device: build
	@mkdir -p var/zhtp
	$(BUILD)/benchmarks/zhtp-bench benchmarks/jobs/default.fio

test-unit: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test-asan: deps
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DZH_SANITIZE=address,undefined \
		-DZH_BUILD_BENCHMARKS=ON >/dev/null
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j $(JOBS)

# ThreadSanitizer on the concurrency scenarios (rings, reactors, engine). Criterion cannot run
# under TSan (Snaipe/Criterion#274), so a plain driver runs the same scenarios.
test-tsan: deps
	cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug -DZH_SANITIZE=thread \
		-DZH_BUILD_BENCHMARKS=OFF >/dev/null
	cmake --build build-tsan -j $(JOBS) --target tsan_concurrency
	cd build-tsan && TSAN_OPTIONS="halt_on_error=1 suppressions=$(CURDIR)/tests/tsan.supp" \
		ctest --output-on-failure -L tsan

fuzz: deps
	CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DZH_BUILD_FUZZERS=ON \
		-DZH_BUILD_TESTS=OFF -DZH_BUILD_BENCHMARKS=OFF >/dev/null
	cmake --build build-fuzz -j $(JOBS)
	mkdir -p build-fuzz/corpus-bench-job
	# The job files seed it where they are (libFuzzer writes new inputs to the first
	# directory only, and reads the others recursively): two may share a name.
	build-fuzz/tests/fuzz/fuzz_bench_job -max_total_time=$(FUZZ_SECONDS) \
		build-fuzz/corpus-bench-job tests/benchmarks/jobs benchmarks/jobs
	mkdir -p build-fuzz/corpus-codec
	cp tests/fuzz/corpus-codec/* build-fuzz/corpus-codec/
	build-fuzz/tests/fuzz/fuzz_codec_decode -max_total_time=$(FUZZ_SECONDS) \
		-max_len=140000 build-fuzz/corpus-codec
	mkdir -p build-fuzz/corpus-records
	build-fuzz/tests/fuzz/fuzz_store_records -max_total_time=$(FUZZ_SECONDS) \
		build-fuzz/corpus-records tests/fuzz/corpus-records

test: format-check test-unit test-asan test-tsan fuzz

# The full kill -9 runs (make test does 5 rounds each): RocksDB group commits and the store.
CRASH_ROUNDS ?= 50
# NVMe passthrough for real: zhtp-bench and zhtpctl in a QEMU guest with emulated NVMe
# (tests/qemu/passthru-check.sh). Not part of `make test`: it downloads a kernel package.
test-qemu: deps-qemu build
	tests/qemu/passthru-check.sh $(BUILD)

test-crash: build
	cd $(BUILD) && ZH_CRASH_ROUNDS=$(CRASH_ROUNDS) ./tests/test_index_index --jobs 1 \
		--filter 'index/acknowledged*'
	cd $(BUILD) && ZH_CRASH_ROUNDS=$(CRASH_ROUNDS) ./tests/test_engine_store_crash --jobs 1

# The device-bound set of docs/benchmarks.md, on a 1 GiB file under var/ (about 11 minutes).
BENCH_DISK_JOBS = $(addprefix benchmarks/jobs/compare/,randread-4k-qd1.fio randread-4k-qd32.fio \
	randwrite-4k-qd1.fio randwrite-4k-qd32.fio read-128k-qd8.fio write-128k-qd8.fio \
	read-1m-qd8.fio write-1m-qd8.fio)
bench: deps-bench build
	mkdir -p var/bench
	benchmarks/compare-fio.sh -f var/bench/cmp.dat -s 1g -t 4 $(BENCH_DISK_JOBS)

# The codec against raw ISA-L, zstd and OpenSSL calls (docs/benchmarks.md).
bench-codec: build
	test -s var/bench/corpus.bin || benchmarks/make-corpus.sh var/bench/corpus.bin
	$(BUILD)/benchmarks/zhtp-codec-bench --corpus=var/bench/corpus.bin

# The project's C files: git's list in a clone, the source folders in a tree without git (a
# tarball). Never empty: clang-format given no file reads stdin and checks nothing.
C_SOURCES = $$(git ls-files '*.c' '*.h' 2>/dev/null | grep . || \
	find engine nvme numa codec index net tests benchmarks tools -name '*.[ch]' | sort)

format: deps
	files=$(C_SOURCES); test -n "$$files" && clang-format -i $$files

# Every C file laid out as `make format` would: a drifted file is named and fails the check.
format-check: deps
	files=$(C_SOURCES); test -n "$$files" && clang-format --dry-run -Werror $$files

clean:
	rm -rf $(BUILD) build-asan build-tsan build-fuzz
