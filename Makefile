# Short entry points; CMake does the work. `make demo` and `make test` are the README's two
# commands (each installs missing Debian packages first).
BUILD ?= build
ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan
JOBS ?= $(shell nproc)

.PHONY: all deps build demo test test-stages test-asan test-tsan bench clean

all: build

deps:
	@bash scripts/install-deps.sh

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build $(BUILD) -j$(JOBS)

demo: build
	./$(BUILD)/exante demo

# the whole suite: normal build, then again under AddressSanitizer + UBSan, then the tests
# that run threads (ingest --jobs, the writer and checkpointer threads) under ThreadSanitizer.
# One temporary PostgreSQL cluster serves all three (scripts/with-pg.sh: EXANTE_TEST_PG), and
# is stopped and removed when they end, pass or fail.
test: build
	bash scripts/with-pg.sh $(MAKE) --no-print-directory test-stages

# the three stages; each ctest reuses the cluster in EXANTE_TEST_PG, or starts its own
test-stages:
	bash scripts/with-pg.sh ctest --test-dir $(BUILD) --output-on-failure -j$(JOBS)
	$(MAKE) --no-print-directory test-asan
	$(MAKE) --no-print-directory test-tsan

test-asan: deps
	CC=clang cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DEXANTE_SANITIZE=ON >/dev/null
	cmake --build $(ASAN_BUILD) -j$(JOBS)
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  bash scripts/with-pg.sh ctest --test-dir $(ASAN_BUILD) --output-on-failure -j$(JOBS)

test-tsan: deps
	CC=gcc cmake -S . -B $(TSAN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEXANTE_TSAN=ON >/dev/null
	cmake --build $(TSAN_BUILD) -j$(JOBS) --target exante-cli exante_sqlite kill_after_commits test_store test_stores test_dedup test_weights
	TSAN_OPTIONS=halt_on_error=1 bash scripts/with-pg.sh ctest --test-dir $(TSAN_BUILD) --output-on-failure -j$(JOBS) \
	  -R 'cli_test_(ingest|jobs|policy|demo|workers|serve)$$|unit_(store|stores|dedup|weights)$$'

bench: build
	bash bench/run.sh

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD)
