# Entry points. `make demo` and `make test` install what is missing (apt-get),
# configure, build and run; both are idempotent.
BUILD ?= build
CMAKE_FLAGS ?=
JOBS ?= 2

.PHONY: deps configure build demo test bench sanitize tsan docs clean

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

docs: build
	./$(BUILD)/flowctl components --output markdown > docs/pipeline-reference.md

clean:
	rm -rf $(BUILD) build-asan build-tsan
