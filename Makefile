# ctdl — two commands: `make demo` and `make test`. Everything else is here for developers.
BUILD ?= build
JOBS  ?= $(shell nproc)
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo

.PHONY: all build deps test-deps test demo bench fuzz clean

all: build

deps:
	@scripts/install-deps.sh build

test-deps:
	@scripts/install-deps.sh test

build: deps
	@cmake -S . -B $(BUILD) -G Ninja $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

test: test-deps build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

demo: build
	@scripts/demo.sh $(BUILD)

bench: test-deps build
	@bench/run.sh $(BUILD)

fuzz: test-deps
	@scripts/fuzz.sh

clean:
	rm -rf $(BUILD) build-fuzz
