# Newcomer entry points: `make run` and `make test`. Both install missing Debian packages first.
SHELL := /bin/bash
SHARED ?= $(abspath ../shared)
MODEL ?= $(SHARED)/models/stories260K.gguf
PROMPT ?= Once upon a time
PORT ?= 8080
MODEL_ID = $(basename $(notdir $(MODEL)))
BUILD := build/release
ASAN_BUILD := build/asan
PLEXUS := $(BUILD)/src/cli/plexus
JOBS ?= $(shell nproc)
FUZZ_SECONDS ?= 60

DEB_PACKAGES := cmake ninja-build g++ clang libclang-rt-14-dev pkg-config libgtest-dev libbenchmark-dev nlohmann-json3-dev \
                libpcre2-dev libsodium-dev libcli11-dev libboost-dev libsimde-dev

.PHONY: setup build run generate test test-asan fuzz bench clean

setup:
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	command -v npm >/dev/null 2>&1 || missing="$$missing npm"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:" $$missing; \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

build: setup
	cmake --preset release -DPLEXUS_SHARED_DIR=$(SHARED) >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

# `make run` serves MODEL on 127.0.0.1:PORT (Ctrl-C stops it); `make generate` streams a story.
run: build
	@echo
	@echo "Plexus serves $(MODEL) (model id \"$(MODEL_ID)\") at http://127.0.0.1:$(PORT)  (Ctrl-C stops it)"
	@echo "Try, once it prints 'ready':"
	@echo "  curl -s http://127.0.0.1:$(PORT)/v1/chat/completions -H 'Content-Type: application/json' \\"
	@echo "    -d '{\"model\": \"$(MODEL_ID)\", \"messages\": [{\"role\": \"user\", \"content\": \"$(PROMPT)\"}], \"max_tokens\": 64}'"
	@echo
	@exec $(PLEXUS) serve "$(MODEL)" --host 127.0.0.1 --port $(PORT)

generate: build
	$(PLEXUS) run --verbose $(MODEL) "$(PROMPT)" -n 256 --temp 0.8 --seed 42

test: build
	PLEXUS_SHARED_DIR=$(SHARED) ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

# Unit and golden tests under AddressSanitizer + UndefinedBehaviorSanitizer.
test-asan: setup
	cmake --preset asan -DPLEXUS_SHARED_DIR=$(SHARED) >/dev/null
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	PLEXUS_SHARED_DIR=$(SHARED) ctest --test-dir $(ASAN_BUILD) --output-on-failure -j $(JOBS) -L 'unit|golden'

fuzz: setup
	tests/fuzz/run_fuzz.sh $(FUZZ_SECONDS)

clean:
	rm -rf build
