# shardctl - see README.md.  `make` builds build/shardctl; `make test` runs
# every test layer (also under ASan/UBSan); `make demo` shows the main job.

CC      ?= cc
BUILD   ?= build
HIREDIS_CFLAGS := $(shell pkg-config --cflags hiredis 2>/dev/null)
HIREDIS_LIBS   := $(shell pkg-config --libs hiredis 2>/dev/null || echo -lhiredis)
CFLAGS  ?= -O2 -g
WARN     = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-format-truncation
SAN      = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
ALL_CFLAGS = $(WARN) $(CFLAGS) $(EXTRA_CFLAGS) $(HIREDIS_CFLAGS) -Isrc -Itools
LDLIBS   = $(HIREDIS_LIBS) -lm -lpthread

# src/ is layered, bottom to top: base core cluster engine local cmd, and
# main.c over them; each folder includes only from the folders below it
# (`make lint`).  tools/lib/ holds the load tool's modules, never linked into
# shardctl.
LAYERS   := base core cluster engine local cmd
HDRS     := $(foreach d,$(LAYERS),$(wildcard src/$(d)/*.h))
SRCS     := $(foreach d,$(LAYERS),$(wildcard src/$(d)/*.c))
LIB_OBJS := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(SRCS))
TLIB_SRCS := $(wildcard tools/lib/*.c)
TLIB_OBJS := $(patsubst tools/lib/%.c,$(BUILD)/obj/tools/%.o,$(TLIB_SRCS))
# tests/unit/support/: code the unit tests share (fake nodes, the planner's
# world), built once and linked into every unit test
TSUP_SRCS := $(wildcard tests/unit/support/*.c)
TSUP_HDRS := $(wildcard tests/unit/support/*.h)
TSUP_OBJS := $(patsubst tests/unit/support/%.c,$(BUILD)/obj/tests/support/%.o,$(TSUP_SRCS))
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
TOOL_SRCS := $(wildcard tools/*.c)
TOOL_BINS := $(patsubst tools/%.c,$(BUILD)/%,$(TOOL_SRCS))

.PHONY: all deps test test-unit test-integration demo clean asan units tools chart fuzz bench image
all: $(BUILD)/shardctl $(TOOL_BINS)

$(BUILD)/obj/%.o: src/%.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/obj/tools/%.o: tools/lib/%.c $(HDRS) $(wildcard tools/lib/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/obj/main.o: src/main.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/shardctl: $(BUILD)/obj/main.o $(LIB_OBJS)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/obj/tests/support/%.o: tests/unit/support/%.c $(TSUP_HDRS) $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/unit -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(TSUP_HDRS) $(LIB_OBJS) $(TLIB_OBJS) $(TSUP_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/unit -o $@ $< $(TSUP_OBJS) $(LIB_OBJS) $(TLIB_OBJS) $(LDLIBS)

$(BUILD)/%: tools/%.c $(LIB_OBJS) $(TLIB_OBJS)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIB_OBJS) $(TLIB_OBJS) $(LDLIBS)

units: $(UNIT_BINS)
tools: $(TOOL_BINS)

# The same tree built with AddressSanitizer and UndefinedBehaviorSanitizer.
asan:
	$(MAKE) BUILD=build/asan EXTRA_CFLAGS="$(SAN)" all units

deps:
	@scripts/deps.sh test

# The image is built before the tests (the first build takes minutes, longer
# than a test script's deadline); tests/image then uses the cached archive, and
# fails if the build did.
test: deps
	scripts/servers.sh >/dev/null
	$(MAKE) all units
	$(MAKE) asan
	-$(MAKE) image
	tests/run.sh

test-unit: all units asan
	tests/run.sh unit

test-integration: all asan
	-$(MAKE) image
	tests/run.sh integration

demo:
	@scripts/deps.sh build
	$(MAKE) all
	scripts/demo.sh

# The chart as a Helm repository that any static web server can serve:
# build/chart-repo/redis-cluster-VERSION.tgz and index.yaml.  CHART_URL, when
# set, is written into index.yaml as the charts' base URL (default: relative
# URLs, resolved against wherever the folder is served).
HELM = build/tools/helm/helm
chart:
	@scripts/get-helm.sh >/dev/null
	@mkdir -p build/chart-repo
	$(HELM) lint --strict charts/redis-cluster
	$(HELM) package charts/redis-cluster -d build/chart-repo
	$(HELM) repo index build/chart-repo $(if $(CHART_URL),--url $(CHART_URL))

# The shardctl image (image/Dockerfile) as an OCI archive,
# build/image/shardctl-VERSION.oci.tar (VERSION: the chart's appVersion); see
# image/README.md.  Docker when a daemon answers, else buildah from a
# debootstrap'd base (as root).  Skipped while the archive is up to date;
# IMAGE_REBUILD=1 forces a build.
image:
	@scripts/image.sh

# Benchmarks run by hand (minutes, several GB of RAM); results in bench/results/.
bench:
	@scripts/deps.sh bench
	$(MAKE) all
	bench/resize.sh

# libFuzzer targets under fuzz/ (clang); run by hand, not part of `make test`.
# Each runs FUZZ_TIME seconds from its committed seed corpus; new inputs go to
# build/fuzz/corpus-NAME, crashes to build/fuzz/NAME-crash-* (keep them in
# fuzz/regress/NAME/, which tests/unit/test_fuzz.c replays).
FUZZ_CC   ?= clang
FUZZ_TIME ?= 60
FUZZ_SRCS := $(wildcard fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRCS))
FUZZ_FLAGS = -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all

fuzz: $(FUZZ_BINS)
	@for f in $(FUZZ_BINS); do n=$${f##*/}; mkdir -p $(BUILD)/fuzz/corpus-$$n; \
		echo "== $$n for $(FUZZ_TIME) s"; \
		$$f -max_total_time=$(FUZZ_TIME) -print_final_stats=1 -artifact_prefix=$(BUILD)/fuzz/$$n- \
			$(BUILD)/fuzz/corpus-$$n fuzz/corpus/$$n || exit 1; done

$(BUILD)/fuzz/%: fuzz/%.c fuzz/%.h $(SRCS) $(HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(WARN) -Wno-unknown-warning-option $(FUZZ_FLAGS) $(HIREDIS_CFLAGS) -Isrc -o $@ $< $(SRCS) $(LDLIBS)

clean:
	rm -rf build
