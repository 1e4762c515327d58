# lscan build. Every target that compiles depends on `deps`, which installs
# missing Debian packages, so any target works as the first command on a
# fresh Debian 12 machine. Sources are picked up by folder, so a new module is
# a new file, not a Makefile edit.

PREFIX  ?= /usr/local
DESTDIR ?=
BUILD   ?= build

# Debian packages the build, the tests and the benchmarks need (one list).
DEBIAN_PACKAGES := build-essential pkg-config libcurl4-openssl-dev libpcre2-dev \
  libxxhash-dev libhiredis-dev libcriterion-dev libvectorscan-dev \
  libutf8proc-dev libyaml-dev libcjson-dev libdeflate-dev libxml2-dev libmicrohttpd-dev \
  zlib1g-dev libssl-dev libsqlite3-dev sqlite3 libsodium-dev libzip-dev redis-server redis-tools wrk curl \
  libxlsxwriter-dev libcairo2-dev libpango1.0-dev fonts-noto-core poppler-utils python3-openpyxl openssl

# The console's browser test (tests/browser): Debian's Chromium, fonts with
# Vietnamese glyphs for its screenshots, Node for playwright-core (npm ci).
BROWSER_PACKAGES := chromium fonts-noto-core fonts-noto-cjk fonts-noto-color-emoji

 # Only `make bench` needs these (the Scrapy reference of bench-scan).
BENCH_PACKAGES := python3-scrapy

PKG_MODULES := libcurl libpcre2-8 libxxhash hiredis libhs libutf8proc yaml-0.1 libdeflate \
  libcjson libxml-2.0 libmicrohttpd zlib libcrypto sqlite3 libsodium libzip xlsxwriter cairo pangocairo

CC      ?= cc
OPTFLAGS ?= -O2 -g
CFLAGS_BASE = -std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror $(OPTFLAGS) \
  -pthread -I.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKG_MODULES) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKG_MODULES) 2>/dev/null)
CRIT_FLAGS = $(shell pkg-config --cflags --libs criterion 2>/dev/null)
ALL_CFLAGS = $(CFLAGS_BASE) $(PKG_CFLAGS) $(EXTRA_CFLAGS)
LDLIBS_ALL = $(PKG_LIBS) -lm -pthread $(EXTRA_LDFLAGS)

# The library: every .c under the layered folders but the command's own
# (scanner/cli). Includes are path-qualified from the root, so one -I.
LIB_SRCS     := $(sort $(shell find rules workers scanner -name '*.c' -not -path 'scanner/cli/*'))
CLI_SRCS     := $(filter-out scanner/cli/main.c,$(sort $(wildcard scanner/cli/*.c)))
FIXTURE_SRCS := $(filter-out fixtures/market/main.c,$(wildcard fixtures/market/*.c))
TEST_SRCS    := $(wildcard tests/test_*.c)
BENCH_SRCS   := $(wildcard bench/bench_*.c)

# The console's page, style and script, built into the binary.
CONSOLE_ASSETS := scanner/review/console/index.html scanner/review/console/console.css \
  scanner/review/console/console.js
LIB_OBJS     := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/gen/console_assets.o
FIXTURE_OBJS := $(FIXTURE_SRCS:%.c=$(BUILD)/obj/%.o)
HARNESS_OBJ  := $(BUILD)/obj/tests/harness.o $(BUILD)/obj/tests/loopback_server.o
BENCH_SHARED := $(BUILD)/obj/bench/flag_corpus.o
TEST_BINS    := $(TEST_SRCS:tests/%.c=$(BUILD)/%)
BENCH_BINS   := $(patsubst bench/bench_%.c,$(BUILD)/bench-%,$(BENCH_SRCS))
LIBLSCAN     := $(BUILD)/liblscan.a
LIBCLI       := $(BUILD)/liblscan-cli.a
LIBFIXTURE   := $(BUILD)/libfixture.a

.PHONY: all deps check asan demo console bench install clean tests benches check-layers browser-deps eval eval-extract eval-perturb
.DEFAULT_GOAL := all
# Objects of tests and benches are intermediates of their link rules: keep
# them, or the next make would build them all again.
.SECONDARY:

all: deps
	@$(MAKE) --no-print-directory binaries

binaries: $(BUILD)/lscan $(BUILD)/fixture-market $(TEST_BINS) $(BENCH_BINS)

deps:
	@sh .ci/install-deps $(DEBIAN_PACKAGES)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/gen/console_assets.c: $(CONSOLE_ASSETS) scanner/review/embed-assets
	@mkdir -p $(dir $@)
	@echo "  EMBED   $(CONSOLE_ASSETS)"
	@sh scanner/review/embed-assets $@ $(CONSOLE_ASSETS)

$(BUILD)/obj/gen/console_assets.o: $(BUILD)/gen/console_assets.c
	@mkdir -p $(dir $@)
	@$(CC) $(ALL_CFLAGS) -c $< -o $@

$(LIBLSCAN): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	@rm -f $@ && ar rcs $@ $^

$(LIBCLI): $(CLI_SRCS:%.c=$(BUILD)/obj/%.o)
	@mkdir -p $(dir $@)
	@rm -f $@ && ar rcs $@ $^

$(LIBFIXTURE): $(FIXTURE_OBJS)
	@mkdir -p $(dir $@)
	@rm -f $@ && ar rcs $@ $^

$(BUILD)/lscan: $(BUILD)/obj/scanner/cli/main.o $(LIBCLI) $(LIBLSCAN)
	@echo "  LINK    $@"
	@$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS_ALL)

$(BUILD)/fixture-market: $(BUILD)/obj/fixtures/market/main.o $(LIBFIXTURE) $(LIBLSCAN)
	@echo "  LINK    $@"
	@$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS_ALL)

$(BUILD)/test_%: $(BUILD)/obj/tests/test_%.o $(HARNESS_OBJ) $(LIBFIXTURE) $(LIBCLI) $(LIBLSCAN)
	@echo "  LINK    $@"
	@$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS_ALL) $(CRIT_FLAGS) $(TEST_LINK_FLAGS)

# The allocation-failure test sees every allocation lscan's code makes.
$(BUILD)/test_alloc_failures: TEST_LINK_FLAGS = -Wl,--wrap=malloc -Wl,--wrap=calloc -Wl,--wrap=realloc \
  -Wl,--wrap=strdup -Wl,--wrap=strndup

$(BUILD)/bench-%: $(BUILD)/obj/bench/bench_%.o $(BENCH_SHARED) $(HARNESS_OBJ) $(LIBFIXTURE) $(LIBCLI) $(LIBLSCAN)
	@echo "  LINK    $@"
	@$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS_ALL)

# The tests find the binaries and ../shared through these variables.
TEST_ENV = LSCAN_BUILD=$(abspath $(BUILD)) LSCAN_ROOT=$(CURDIR) \
  LSCAN_SHARED=$(abspath ../shared)

# Includes point down the layers (tests/check-layers, README "Layers").
check-layers:
	@sh tests/check-layers .

# The browser test's packages and its npm modules (pinned by package-lock.json).
browser-deps:
	@sh .ci/install-deps $(BROWSER_PACKAGES)
	@command -v npm >/dev/null 2>&1 || sh .ci/install-deps nodejs npm
	@[ -d tests/browser/node_modules/playwright-core ] && [ -d tests/browser/node_modules/warcio ] || \
	  npm ci --prefix tests/browser --no-audit --no-fund

check: deps check-layers browser-deps
	@$(MAKE) --no-print-directory binaries
	@$(TEST_ENV) sh tests/run-all $(BUILD) $(TEST_BINS)
	@$(MAKE) --no-print-directory eval
	@$(MAKE) --no-print-directory eval-extract

# The blind evaluation set (tests/eval/README.md): precision and recall per
# capability and per split; fails below the floors set from the held-out split.
# (2026-12-03: held-out 0.949 / 0.890 with four blind registry suites; then
# 0.955 / 0.865 with nine, the two new ones first scored 0.920 / 0.575 and
# 0.903 / 0.718 before any tuning; 0.961 / 0.873 with eleven, registry10 and
# registry11 first scored 0.992 / 0.832 and 1.000 / 0.879 on both splits:
# recall on unseen text is the open goal)
EVAL_FLOORS ?= --min-precision 0.93 --min-recall 0.84
eval: $(BUILD)/lscan
	@echo "== the blind evaluation set (tests/eval), both splits"
	@/usr/bin/python3 tests/eval/run $(BUILD) $(EVAL_FLOORS)

# Robustness under label-preserving rewrites (tests/eval/README.md, "Robustness
# under rewrites"): the tuning split only, one transform at a time. A report.
eval-perturb: $(BUILD)/lscan
	@echo "== robustness under rewrites (tests/eval/perturb), tuning split"
	@/usr/bin/python3 tests/eval/perturb $(BUILD)

# Extraction on real pages and API responses (tests/extract-real/README.md):
# listings found and fields right, through lscan scan over loopback HTTP;
# fails below the floors.
EXTRACT_FLOORS ?= --min-found 0.95 --min-fields 0.95 --max-extra 0
eval-extract: $(BUILD)/lscan
	@echo "== extraction on real pages and API responses (tests/extract-real)"
	@LSCAN_SHARED=$${LSCAN_SHARED:-$(abspath ../shared)} /usr/bin/python3 tests/extract-real/run $(BUILD) $(EXTRACT_FLOORS)

asan: deps
	@LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  $(MAKE) --no-print-directory BUILD=build-asan \
	  OPTFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined" \
	  EXTRA_LDFLAGS="-fsanitize=address,undefined" check

demo: deps
	@$(MAKE) --no-print-directory binaries
	@$(TEST_ENV) sh fixtures/demo $(BUILD) $(KEEP)

# The demo's scan, then the review console on it (http://127.0.0.1:8080/,
# CONSOLE_PORT to change) until Ctrl-C.
console: deps
	@$(MAKE) --no-print-directory binaries
	@$(TEST_ENV) sh fixtures/demo $(BUILD) "" console

bench: deps
	@sh .ci/install-deps $(BENCH_PACKAGES)
	@$(MAKE) --no-print-directory binaries
	@for b in $(BENCH_BINS); do echo "== $$b"; $(TEST_ENV) $$b || exit 1; done

# Fuzzing (docs/fuzzing.md): one libFuzzer target per tests/fuzz/fuzz_X.c,
# built with clang into build-fuzz/ (the library compiled again with clang and
# coverage; gcc objects are not reused), each run FUZZ_SECONDS by tests/fuzz/run.
FUZZ_PACKAGES := clang libclang-rt-14-dev
FUZZ_SECONDS  ?= 30
FUZZ_BUILD    := build-fuzz
FUZZ_CC       := clang
FUZZ_CFLAGS    = -std=c17 -D_GNU_SOURCE -g -O1 -pthread -I. \
  $(PKG_CFLAGS)
FUZZ_SRCS     := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS     := $(patsubst tests/fuzz/%.c,$(FUZZ_BUILD)/%,$(FUZZ_SRCS))
FUZZ_LIB_OBJS := $(LIB_SRCS:%.c=$(FUZZ_BUILD)/obj/%.o) $(CLI_SRCS:%.c=$(FUZZ_BUILD)/obj/%.o) \
  $(FUZZ_BUILD)/obj/gen/console_assets.o

.PHONY: fuzz fuzz-binaries

fuzz: deps
	@sh .ci/install-deps $(FUZZ_PACKAGES)
	@$(MAKE) --no-print-directory fuzz-binaries $(BUILD)/fixture-market
	@$(TEST_ENV) sh tests/fuzz/run $(FUZZ_BUILD) $(FUZZ_SECONDS)

fuzz-binaries: $(FUZZ_BINS)

$(FUZZ_BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CLANG   $<"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined -MMD -MP -c $< -o $@

$(FUZZ_BUILD)/gen/console_assets.c: $(CONSOLE_ASSETS) scanner/review/embed-assets
	@mkdir -p $(dir $@)
	@sh scanner/review/embed-assets $@ $(CONSOLE_ASSETS)

$(FUZZ_BUILD)/obj/gen/console_assets.o: $(FUZZ_BUILD)/gen/console_assets.c
	@mkdir -p $(dir $@)
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined -c $< -o $@

$(FUZZ_BUILD)/liblscan.a: $(FUZZ_LIB_OBJS)
	@rm -f $@ && ar rcs $@ $^

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_BUILD)/liblscan.a
	@echo "  FUZZ    $@"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined -o $@ $^ $(PKG_LIBS) -lm

-include $(shell find $(FUZZ_BUILD)/obj -name '*.d' 2>/dev/null)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/lscan/packs
	install -m 0755 $(BUILD)/lscan $(DESTDIR)$(PREFIX)/bin/lscan
	install -m 0755 $(BUILD)/fixture-market $(DESTDIR)$(PREFIX)/bin/lscan-fixture-market
	install -m 0644 rules/packs/*.yaml $(DESTDIR)$(PREFIX)/share/lscan/packs/ 2>/dev/null || true

clean:
	rm -rf build build-asan build-fuzz

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
