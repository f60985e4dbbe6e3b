# muonlab: C core (core/), Lua bindings and host (lua/), experiments, tests.
#   make         build; names missing Debian packages and stops (`make deps` installs them)
#   make demo    install what is missing, build, run experiments/ns_vs_svd.lua
#   make test    install what is missing, build, run the C tests and the busted specs
#   make test SAN=1       the same under AddressSanitizer + UndefinedBehaviorSanitizer
#   make test VALGRIND=1  the C tests and tests/smoke.lua under valgrind memcheck (tests/valgrind.sh)
#   make fuzz             10^5 random API calls under ASan + UBSan (tests/fuzz/fuzz.lua)
#   make install PREFIX=/usr/local
#   make CFLAGS=-O3 (or CFLAGS+=..., LDFLAGS=..., LDLIBS=...): extra flags, added after the
#                   required ones (ALL_CFLAGS below), so -Icore and the pkg-config flags stay

PREFIX  ?= /usr/local
CC      ?= cc
PKGS    := lua5.4 libxsmm openblas lapacke
SAN     ?=

DEPS_PACKAGES := build-essential pkg-config liblua5.4-dev lua5.4 libopenblas-dev liblapacke-dev libxsmm-dev \
                 gnuplot-nox zlib1g-dev lua-busted python3-numpy openmpi-bin valgrind \
                 dataset-fashion-mnist fortunes libreadline-dev tmux python3-torch

ifeq ($(SAN),1)
  BUILD   := build/san
  SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
  OPT     := -O1
else
  BUILD   := build/rel
  SANFLAGS :=
  OPT     := -O2
endif

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
# What the build needs, then the user's CFLAGS/LDFLAGS/LDLIBS (empty by default; later flags win,
# so CFLAGS=-O3 replaces -O2).
ALL_CFLAGS  = -std=c11 -D_GNU_SOURCE -g $(OPT) -Wall -Wextra -Wno-unused-parameter -fPIC -fopenmp-simd $(SANFLAGS) \
              -Icore $(PKG_CFLAGS) -DML_PREFIX='"$(PREFIX)"' $(CFLAGS)
ALL_LDFLAGS = $(SANFLAGS) $(LDFLAGS)
ALL_LDLIBS  = $(PKG_LIBS) -lz -lmvec -lm $(LDLIBS)

CORE_SRC := $(sort $(wildcard core/*.c))
CORE_OBJ := $(CORE_SRC:%.c=$(BUILD)/%.o)
BIND_SRC := $(filter-out lua/main.c,$(sort $(wildcard lua/*.c)))
BIND_OBJ := $(BIND_SRC:%.c=$(BUILD)/%.o)
TEST_SRC := $(sort $(wildcard tests/c/*.c))
TEST_OBJ := $(TEST_SRC:%.c=$(BUILD)/%.o)

LIB      := $(BUILD)/libmuonlab.a
SOLIB    := $(BUILD)/libmuonlab.so
LUAMOD   := $(BUILD)/lua/muonlab/core.so
HOST     := bin/muonlab
TESTBIN  := $(BUILD)/test_core

BUSTED   := /usr/bin/busted

.PHONY: all deps demo test test-c test-lua figures install clean bench fuzz

all: deps $(HOST) $(LUAMOD) $(SOLIB)

# `make deps`, `make test`, `make demo` (and fuzz, bench) install missing packages; any other goal
# (plain `make`, `make install`) only names them and stops. Objects wait for this check.
DEPS_MODE := $(if $(filter deps test demo fuzz bench,$(MAKECMDGOALS)),--install,--check)
deps:
	@sh tools/deps.sh $(DEPS_MODE) $(DEPS_PACKAGES)

$(BUILD)/%.o: %.c $(wildcard core/*.h core/internal/*.h lua/*.h tests/c/*.h) | deps
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(LIB): $(CORE_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(SOLIB): $(CORE_OBJ)
	$(CC) -shared $(ALL_LDFLAGS) -o $@ $^ $(ALL_LDLIBS)

# The host's REPL edits lines with GNU readline (libreadline-dev, in DEPS_PACKAGES); only where
# its header is absent does it fall back to plain fgets input.
READLINE = $(if $(wildcard /usr/include/readline/readline.h),1)
$(BUILD)/lua/main.o: ALL_CFLAGS += $(if $(READLINE),-DML_READLINE)
HOST_LIBS = $(if $(READLINE),-lreadline)

$(LUAMOD): $(BIND_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) -shared $(ALL_LDFLAGS) -o $@ $(BIND_OBJ) $(LIB) $(ALL_LDLIBS)

# The host always lives in bin/; a SAN build replaces it until the next plain build.
$(HOST): $(BUILD)/lua/main.o $(BIND_OBJ) $(LIB)
	@mkdir -p bin
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(ALL_LDLIBS) $(HOST_LIBS)
	@echo "$(BUILD)" > bin/.flavour

$(TESTBIN): $(TEST_OBJ) $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(ALL_LDLIBS)

# Rebuild the host when switching between SAN and plain builds.
ifneq ($(shell cat bin/.flavour 2>/dev/null),$(BUILD))
.PHONY: $(HOST)
endif

ASAN_ENV := ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
            LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 \
            UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
RUNENV := $(if $(SAN),$(ASAN_ENV),) OPENBLAS_NUM_THREADS=$${OPENBLAS_NUM_THREADS:-2}

test: all $(TESTBIN)
	@sh tools/run-tests.sh "$(TESTBIN)" "$(HOST)" "$(LUAMOD)" "$(RUNENV)"

# make fuzz: the API fuzzer (tests/fuzz/fuzz.lua), FUZZ_CALLS random calls under ASan + UBSan
# with a host of its own (build/san/muonlab), so bin/muonlab stays as it is, started in a
# scratch directory; FUZZ_SEED=S repeats a run. `make test` runs 2000 calls (tests/lua/fuzz_spec.lua).
FUZZ_CALLS ?= 100000
fuzz: deps
	@$(MAKE) --no-print-directory SAN=1 build/san/muonlab build/san/lua/muonlab/core.so
	@d=$$(mktemp -d) && cd $$d && $(ASAN_ENV) OPENBLAS_NUM_THREADS=1 \
	  LUA_PATH='$(CURDIR)/lua/?.lua;$(CURDIR)/lua/?/init.lua;;' $(CURDIR)/build/san/muonlab \
	  $(CURDIR)/tests/fuzz/fuzz.lua --calls $(FUZZ_CALLS) $(if $(FUZZ_SEED),--seed $(FUZZ_SEED)); \
	  rc=$$?; cd / && rm -rf $$d; exit $$rc

$(BUILD)/muonlab: $(BUILD)/lua/main.o $(BIND_OBJ) $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(ALL_LDLIBS) $(HOST_LIBS)

demo: all
	$(HOST) experiments/ns_vs_svd.lua

# `make figures` reruns every study at full size into plots/; `make figures QUICK=1` passes --quick
# (small sizes, output under $TMPDIR: a smoke run). Add a study: append its name to FIGURES.
figures: all
	@for f in $(FIGURES); do echo "== $$f"; $(HOST) experiments/$$f.lua $(FIGURE_ARGS) || exit 1; done

FIGURES ?= ns_vs_svd poly_maps ns_error_vs_steps ns_error_vs_cond ns_cost_accuracy spectral_p convergence trasmuon_ablation lr_sensitivity spectral_family gpt_convergence gpt_max_logits gpt_lr_transfer gpt_trasmuon inexact_muon linear_icl ef21_compression family_round_two
FIGURE_ARGS ?= $(if $(QUICK),--quick)

# muonlab against numpy and PyTorch (issue 4), not part of `make test`: bench/run.lua drives one
# Debian-python peer (bench/peer.py); writes bench/results.{csv,md} and plots/ns_scaling.png.
BENCH_PACKAGES := python3-numpy python3-scipy python3-torch
bench: all
	@sh tools/deps.sh $(BENCH_PACKAGES)
	$(HOST) bench/run.lua $(BENCH_ARGS)

# The public C API is core/*.h; core/internal/*.h are shared between core files only and not
# installed (a public header must not include one).
PUBLIC_HEADERS := $(wildcard core/*.h)
install: all
	@! grep -l 'internal/' $(PUBLIC_HEADERS) || { echo "a public header includes an internal one" >&2; exit 1; }
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include/muonlab \
	           $(DESTDIR)$(PREFIX)/share/lua/5.4/muonlab $(DESTDIR)$(PREFIX)/lib/lua/5.4/muonlab
	install -m 755 $(HOST) $(DESTDIR)$(PREFIX)/bin/muonlab
	install -m 644 $(LIB) $(SOLIB) $(DESTDIR)$(PREFIX)/lib/
	install -m 644 $(PUBLIC_HEADERS) $(DESTDIR)$(PREFIX)/include/muonlab/
	install -m 755 $(LUAMOD) $(DESTDIR)$(PREFIX)/lib/lua/5.4/muonlab/core.so
	cd lua && find muonlab -name '*.lua' -exec install -D -m 644 {} $(DESTDIR)$(PREFIX)/share/lua/5.4/{} \;

clean:
	rm -rf build bin
