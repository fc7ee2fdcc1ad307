# workshopbot - plain Makefile. `make run` starts the console demo, `make test` runs every test.
#
# Variables: V=1 shows commands; CC=clang builds with clang; SAN=1 adds ASan+UBSan;
# BUILD=dir puts objects elsewhere (the sanitizer build uses build/san, the fuzz build
# build/fuzz); FUZZ=1 instruments for libFuzzer (clang only).

CC      ?= cc
BUILD   ?= build
PKGS    := libuv jansson sqlite3 libcurl libwebsockets openssl
DB      ?= workshopbot.db

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -Wshadow \
           -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -MMD -MP -I. $(PKG_CFLAGS)
# Bounded copies truncate with snprintf on purpose; gcc's guesses about it are noise.
ifeq ($(findstring clang,$(shell $(CC) --version 2>/dev/null)),)
CFLAGS  += -Wno-format-truncation
endif
LDLIBS  += $(PKG_LIBS) -lm
ifeq ($(SAN),1)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
endif

ifeq ($(FUZZ),1)
CFLAGS  += -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer \
           -fno-sanitize-recover=all
endif

ifndef V
Q = @
QUIET_CC = @printf '  CC      %s\n' $@;
QUIET_LINK = @printf '  LINK    %s\n' $@;
endif

CORE_SRC  := $(filter-out bot/main.c $(CORE_EXCLUDE),$(wildcard bot/*.c handlers/*.c prompts/*.c))
CORE_OBJ  := $(CORE_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC  := $(wildcard tests/unit/test_*.c)
# Fake servers for the integration tests: tests/fakes/fake_NAME.c + the shared tests/fakes/lib.
FAKE_LIB  := $(patsubst %.c,$(BUILD)/%.o,$(wildcard tests/fakes/lib/*.c))
FAKE_BIN  := $(patsubst tests/fakes/%.c,$(BUILD)/tests/%,$(wildcard tests/fakes/fake_*.c))
UNIT_BIN  := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
BIN       := $(BUILD)/workshopbot
# libFuzzer targets: fuzz/fuzz_NAME.c, each linked with the core objects only.
FUZZ_BIN  := $(patsubst fuzz/%.c,$(BUILD)/%,$(wildcard fuzz/fuzz_*.c))
FUZZ_SECONDS ?= 300
FUZZ_SMOKE_SECONDS ?= 10
# How many integration scripts run at once (`make test` runs the gcc pass with 2).
JOBS ?= 1

.PHONY: all deps run run-smoke test unit integration sanitize valgrind soak crash-long fuzz \
	fuzz-smoke fuzz-bin bench bench-load bench-channels bench-scale clean
# Keep intermediate objects (and make no noise deleting them).
.SECONDARY:

all: $(BIN)

deps:
	$(Q)scripts/deps.sh

$(BUILD)/%.o: %.c
	$(Q)mkdir -p $(dir $@)
	$(QUIET_CC)$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/libcore.a: $(CORE_OBJ)
	$(Q)rm -f $@
	$(Q)ar rcs $@ $^

$(BIN): $(BUILD)/bot/main.o $(BUILD)/libcore.a
	$(QUIET_LINK)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(BUILD)/libcore.a
	$(Q)mkdir -p $(dir $@)
	$(QUIET_LINK)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

$(BUILD)/tests/fake_%: $(BUILD)/tests/fakes/fake_%.o $(FAKE_LIB)
	$(Q)mkdir -p $(dir $@)
	$(QUIET_LINK)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/fuzz_%: $(BUILD)/fuzz/fuzz_%.o $(BUILD)/libcore.a
	$(QUIET_LINK)$(CC) $(LDFLAGS) -fsanitize=fuzzer,address,undefined -o $@ $^ $(LDLIBS)

run: deps
	$(Q)$(MAKE) --no-print-directory all
	$(BIN) --db $(DB) console

# `make run` as a new user types it, with a script on stdin: it must start the console on
# the shipped workshop and exit cleanly at the end of the input.
run-smoke: $(BIN)
	$(Q)rm -f $(BUILD)/run-smoke.db*
	$(Q)printf '!ws start\nalice> We want to reach new families\n!ws status\n' | \
		$(MAKE) --no-print-directory run DB=$(BUILD)/run-smoke.db > $(BUILD)/run-smoke.out
	$(Q)grep -q 'Question 1 of 22' $(BUILD)/run-smoke.out
	$(Q)grep -q 'Answered by alice' $(BUILD)/run-smoke.out
	$(Q)echo 'make run: ok'

unit: $(UNIT_BIN)
	$(Q)tests/run-unit.sh $(UNIT_BIN)

integration: $(BIN) $(FAKE_BIN)
	$(Q)tests/fakes/selftest.sh $(BUILD)/tests
	$(Q)tests/fakes/selftest_matrix.sh $(BUILD)/tests
	$(Q)JOBS=$(JOBS) FAKES_DIR=$(BUILD)/tests tests/integration/run.sh $(BIN)

# The long crash-safety run (not in CI): the crash tests with 50 SIGKILLs per transport
# (`make test` runs them with 10). KILLS and SEED may be given: make crash-long KILLS=100.
KILLS ?= 50
crash-long: $(BIN) $(FAKE_BIN)
	$(Q)for t in slack matrix; do \
		KILLS=$(KILLS) BIN=$(abspath $(BIN)) ROOT=$(CURDIR) FAKES_DIR=$(BUILD)/tests \
			timeout 900 bash tests/integration/test_$${t}_crash.sh || exit 1; \
	done

# The sanitizer pass: clang with ASan+UBSan over the unit and integration suites.
sanitize:
	$(Q)$(MAKE) --no-print-directory CC=clang SAN=1 BUILD=build/san unit integration

# valgrind (README: Reliability, Memory): the integration tests with every run of
# workshopbot under memcheck (lib.sh: WB_WRAP), built -O1 -g in build/vg for readable
# stacks; a test fails when any run's log shows an error or bytes definitely or indirectly
# lost. Waits are scaled by VG_TIME_SCALE (valgrind slows the daemon 10-30x). VG_TESTS
# names the scripts (default: all of them).
VG_TIME_SCALE ?= 10
# What `make test` runs under valgrind: the whole suite is ~32 min of scripts there (~17
# with JOBS=2), which with the rest of `make test` is past CI's 30 minutes; these cover
# the console (walk: every command), Slack and Matrix (a whole workshop each, over Socket
# Mode and /sync) and the scheduler (timed advances, reminders), in 4.6 min.
VG_CI_TESTS := test_walk test_slack_workshop test_matrix_workshop test_timed test_reminders
VALGRIND := valgrind --tool=memcheck --leak-check=full --errors-for-leak-kinds=definite,indirect \
	--error-exitcode=86 --num-callers=30 --log-file=%q{WB_WRAP_DIR}/valgrind-%p.log
valgrind:
	$(Q)CFLAGS='-O1 -g' WB_WRAP='$(VALGRIND)' TIME_SCALE=$(VG_TIME_SCALE) TESTS='$(VG_TESTS)' \
		$(MAKE) --no-print-directory BUILD=build/vg integration

# The soak run (README: Reliability, Soak; not in CI): SOAK_MINUTES of steady sessions,
# answers, reconnects and reminders against the fake Slack, then the daemon's memory growth
# and the answers stored against those sent.
SOAK_MINUTES ?= 30
soak: $(BIN) $(FAKE_BIN)
	$(Q)SOAK_MINUTES=$(SOAK_MINUTES) BIN=$(abspath $(BIN)) ROOT=$(CURDIR) FAKES_DIR=$(BUILD)/tests \
		timeout $$(($(SOAK_MINUTES) * 60 + 900)) bash tests/integration/soak.sh

# Fuzzing (README: Development, Fuzzing): the targets built with clang and libFuzzer in build/fuzz.
# `make fuzz` runs each for FUZZ_SECONDS, one after another; `make fuzz-smoke` each for
# FUZZ_SMOKE_SECONDS, then replays every saved crash input in fuzz/regressions/.
fuzz-bin: $(FUZZ_BIN)

fuzz:
	$(Q)$(MAKE) --no-print-directory CC=clang FUZZ=1 BUILD=build/fuzz fuzz-bin
	$(Q)fuzz/run.sh build/fuzz $(FUZZ_SECONDS)

fuzz-smoke:
	$(Q)$(MAKE) --no-print-directory CC=clang FUZZ=1 BUILD=build/fuzz fuzz-bin
	$(Q)fuzz/run.sh build/fuzz $(FUZZ_SMOKE_SECONDS)
	$(Q)fuzz/run.sh build/fuzz replay

# The load benchmark (README: Performance; not part of `make test`): the -O2 daemon and the
# fakes driven by bench/loadgen; one JSON line is appended to bench/results.jsonl. Bounded
# to BENCH_SECONDS. BENCH_ARGS may change the load: BENCH_ARGS="--answers 1000".
BENCH_SECONDS ?= 600
BENCH_ARGS ?=
# One benchmark at a time, also under make -j (they would share the two cores).
bench:
	$(Q)$(MAKE) --no-print-directory bench-load
	$(Q)$(MAKE) --no-print-directory bench-channels
	$(Q)$(MAKE) --no-print-directory bench-scale

bench-load: $(BIN) $(FAKE_BIN) $(BUILD)/bench/loadgen
	$(Q)rm -rf $(BUILD)/bench/run && mkdir -p $(BUILD)/bench/run
	$(Q)timeout -k 10 $(BENCH_SECONDS) $(BUILD)/bench/loadgen --bin $(BIN) --fakes $(BUILD)/tests \
		--dir $(BUILD)/bench/run --results bench/results.jsonl $(BENCH_ARGS)

# Scale in one process (README: Performance): loadgen --mode channels opens a session in
# each of 10,000 Slack channels (500 starts waiting at most), reads the daemon's memory
# with them open, sends one answer per channel (32 in flight) and restarts the daemon on
# that database; one JSON line ("mode":"channels") to bench/results.jsonl. About 3-4
# minutes; bounded to BENCH_CHANNELS_SECONDS. Smaller: BENCH_CHANNELS_ARGS="--channels 1000".
BENCH_CHANNELS_SECONDS ?= 900
BENCH_CHANNELS_ARGS ?=
bench-channels: $(BIN) $(FAKE_BIN) $(BUILD)/bench/loadgen
	$(Q)rm -rf $(BUILD)/bench/channels && mkdir -p $(BUILD)/bench/channels
	$(Q)timeout -k 10 $(BENCH_CHANNELS_SECONDS) $(BUILD)/bench/loadgen --mode channels \
		--bin $(BIN) --fakes $(BUILD)/tests --dir $(BUILD)/bench/channels \
		--results bench/results.jsonl $(BENCH_CHANNELS_ARGS)

# Benchmarks (README: Performance). `make bench-scale` builds a database of 10,000 sessions,
# 5,000,000 answers and 1,000,000 action items in $(BUILD)/bench (about 2 GB, a few
# minutes) and times the due-job lookup, `report` and `export` on it; SCALE_DIVIDE=N
# builds 1/N of it for a quick check.
SCALE_DIVIDE ?= 1
bench-scale: $(BIN) $(BUILD)/bench/scale
	$(Q)timeout 1800 $(BUILD)/bench/scale --db $(BUILD)/bench/scale.db --bin $(BIN) \
		--divide $(SCALE_DIVIDE)

$(BUILD)/bench/%: $(BUILD)/bench/%.o $(BUILD)/libcore.a
	$(QUIET_LINK)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Everything: packages, gcc build with -Werror, unit + integration tests, then the
# same again under clang with sanitizers, the valgrind subset, the fuzz smoke run. The gcc
# pass runs the integration scripts two at a time (JOBS=2: 4.5 min instead of 9 on a loaded
# 2-core machine, green 3 runs in a row).
test: deps
	$(Q)$(MAKE) --no-print-directory run-smoke unit integration JOBS=2
	$(Q)$(MAKE) --no-print-directory sanitize
	$(Q)$(MAKE) --no-print-directory valgrind VG_TESTS='$(VG_CI_TESTS)'
	$(Q)$(MAKE) --no-print-directory fuzz-smoke

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
