# ctdl — two commands: `make demo` and `make test`. Everything else is here for developers.
#   make            build everything (build/ctdl, build/ctdl-testlog, tests, benchmarks)
#   make demo       build only ctdl and ctdl-testlog, then mirror a local test log (scripts/demo.sh)
#   make test       build everything, run every test (ctest)
#   make install    build ctdl and copy it to $(PREFIX)/bin (default /usr/local/bin; DESTDIR works)
#   WERROR=ON       compiler warnings are errors (.ci/run uses it)
BUILD ?= build
JOBS  ?= $(shell nproc)
PREFIX ?= /usr/local
WERROR ?= OFF
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo
# ccache (used where installed): hash paths below the source folder relative to it and leave the
# build folder out of the hash, so a fresh clone or worktree reuses what another one compiled.
export CCACHE_BASEDIR ?= $(CURDIR)
export CCACHE_NOHASHDIR ?= 1

.PHONY: all build configure deps test-deps test demo install bench fuzz clean

all: build

deps:
	@scripts/install-deps.sh build

test-deps:
	@scripts/install-deps.sh test

configure: deps
	@cmake -S . -B $(BUILD) -G Ninja $(CMAKE_FLAGS) -DCTDL_WERROR=$(WERROR) >/dev/null

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

test: test-deps build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

demo: configure
	@cmake --build $(BUILD) -j $(JOBS) --target ctdl ctdl-testlog
	@scripts/demo.sh $(BUILD)

install: configure
	@cmake --build $(BUILD) -j $(JOBS) --target ctdl
	@cmake --install $(BUILD) --prefix $(PREFIX) --strip

bench: test-deps build
	@bench/run.sh $(BUILD)

fuzz: test-deps
	@scripts/fuzz.sh

clean:
	rm -rf $(BUILD) build-fuzz
