# Entry points. `make demo` and `make test` install what is missing (apt-get),
# configure, build and run; both are idempotent.
BUILD ?= build
CMAKE_FLAGS ?=
JOBS ?= 2

.PHONY: deps configure build demo test bench sanitize tsan docs clean fuzz fuzz-build

deps:
	@bash scripts/install-deps.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja $(CMAKE_FLAGS)

configure: deps $(BUILD)/build.ninja

build: configure
	cmake --build $(BUILD) -j $(JOBS)

demo: build
	mkdir -p $(BUILD)/demo
	OUT_DIR=$(BUILD)/demo ./$(BUILD)/flowctl apply examples/quickstart.yaml > $(BUILD)/demo/critical.jsonl
	@echo "demo output: $$(ls $(BUILD)/demo)"
	@echo "first critical event:"; head -n 1 $(BUILD)/demo/critical.jsonl
	OUT_DIR=$(BUILD)/demo ./$(BUILD)/flowctl apply examples/ai-feedback.yaml --state-dir $(BUILD)/demo/state -q
	@echo "customer feedback routed to support queues (embedded models, no key):"; wc -l $(BUILD)/demo/queue-*.jsonl
	@echo "first urgent escalation:"; head -n 1 $(BUILD)/demo/feedback-urgent.jsonl

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

bench: build
	bash bench/run.sh

# AddressSanitizer + UndefinedBehaviorSanitizer build and tests in build-asan/.
sanitize:
	$(MAKE) test BUILD=build-asan CMAKE_FLAGS="-DCMAKE_BUILD_TYPE=Debug -DFLOWCTL_SANITIZE=address,undefined"

# ThreadSanitizer build and tests in build-tsan/.
# gRPC/protobuf from Debian are not instrumented: tests/tsan.supp silences
# stacks through them only.
tsan:
	TSAN_OPTIONS="suppressions=$(CURDIR)/tests/tsan.supp halt_on_error=1" \
	  $(MAKE) test BUILD=build-tsan CMAKE_FLAGS="-DCMAKE_BUILD_TYPE=Debug -DFLOWCTL_SANITIZE=thread"

# libFuzzer campaigns (docs/fuzzing.md): the project built with clang and
# coverage in $(FUZZ_BUILD)/, then each target for FUZZ_SECONDS over the seed
# corpus in tests/fuzz/corpus/. New inputs go to $(FUZZ_BUILD)/corpus-out/,
# crashes to $(FUZZ_BUILD)/artifacts/; fails when any target crashed.
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 600
FUZZ_TARGETS ?= yaml expr event control mcp
FUZZ_RSS_MB ?= 2048
FUZZ_FLAGS ?=

fuzz-build:
	@bash scripts/install-deps.sh --fuzz
	CC=clang CXX=clang++ cmake -S . -B $(FUZZ_BUILD) -G Ninja -DFLOWCTL_FUZZ=ON \
	  -DFLOWCTL_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target $(addprefix fuzz_,$(FUZZ_TARGETS))

fuzz: fuzz-build
	@mkdir -p $(FUZZ_BUILD)/artifacts $(FUZZ_BUILD)/work
	@failed=""; for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_BUILD)/corpus-out/$$t; \
	  echo "== fuzz_$$t: $(FUZZ_SECONDS) s, log $(FUZZ_BUILD)/fuzz_$$t.log"; \
	  ( cd $(FUZZ_BUILD)/work && ../tests/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) \
	      -rss_limit_mb=$(FUZZ_RSS_MB) -timeout=30 -print_final_stats=1 \
	      -artifact_prefix=../artifacts/$$t- $(FUZZ_FLAGS) \
	      ../corpus-out/$$t $(CURDIR)/tests/fuzz/corpus/$$t ) > $(FUZZ_BUILD)/fuzz_$$t.log 2>&1 \
	    || failed="$$failed $$t"; \
	  grep -E '^(stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb)' \
	    $(FUZZ_BUILD)/fuzz_$$t.log || true; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz: crashes in:$$failed (see $(FUZZ_BUILD)/artifacts)"; exit 1; fi; \
	echo "fuzz: no crash in $(FUZZ_TARGETS)"

docs: build
	./$(BUILD)/flowctl components --output markdown > docs/pipeline-reference.md

clean:
	rm -rf $(BUILD) build-asan build-tsan $(FUZZ_BUILD)
