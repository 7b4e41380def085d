# The two commands of the README, and the steps behind them. Every target installs what it
# needs first (Debian packages, a .venv, an editable install) and is safe to run again.
#
#   make demo   the main job: a 3-broker cluster, a leader SIGKILLed mid-stream, nothing lost
#   make test   every test: lint, C++ tests, C++ tests under ASan+UBSan, Python tests

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
STAMPS := .make
CPP_FILES := $(shell find cpp tests/cpp -name '*.cc' -o -name '*.h' 2>/dev/null)
PROTOCOL_INPUTS := $(shell find cpp/protocol/schemas cpp/protocol/codegen -name '*.schema' -o -name '*.py')
BUILD_INPUTS := $(CPP_FILES) $(PROTOCOL_INPUTS) $(shell find cpp tests/cpp -name CMakeLists.txt) \
  CMakeLists.txt pyproject.toml
JOBS ?= $(shell nproc)

.PHONY: demo test lint format cpp-test asan-test py-test install install-tests clean

# Each stage of make test says how long it took, and test sums them up at the end (the suite
# must stay under an hour on two cores: this is where to look when it grows).
stage_start = @mkdir -p $(STAMPS) && date +%s > $(STAMPS)/start-$(1)
stage_end = @t=$$(( $$(date +%s) - $$(cat $(STAMPS)/start-$(1)) )); \
  printf '%-10s %4d:%02d\n' $(1) $$((t / 60)) $$((t % 60)) > $(STAMPS)/time-$(1); \
  echo "== $(1) took $$((t / 60)) min $$((t % 60)) s"

demo: $(STAMPS)/install
	$(PY) -m shoal.cli.demo

test: lint cpp-test asan-test py-test
	@echo "Stage times (min:s):"
	@cat $(STAMPS)/time-lint $(STAMPS)/time-cpp-test $(STAMPS)/time-asan-test $(STAMPS)/time-py-test
	@echo "All tests passed."

install: $(STAMPS)/install
install-tests: $(STAMPS)/install-tests

$(STAMPS)/system: scripts/system-packages.txt scripts/install-system-packages.sh
	bash scripts/install-system-packages.sh
	@mkdir -p $(STAMPS) && touch $@

$(STAMPS)/venv: $(STAMPS)/system
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q "scikit-build-core>=0.10" "pybind11>=2.12" cmake ninja
	@touch $@

# The editable install builds the extension and the broker in build/py: all the demo needs, so
# a newcomer's first `make demo` compiles no test. The test install adds the C++ tests (same
# build directory) and the test extras; it also counts as the demo's install.
$(STAMPS)/install: $(STAMPS)/venv $(BUILD_INPUTS)
	$(call stage_start,install)
	PATH=$(abspath $(BIN)):$$PATH $(PY) -m pip install -q --no-build-isolation -e . \
	  -Cbuild-dir=build/py -Ccmake.define.SHOAL_BUILD_TESTS=OFF
	$(call stage_end,install)
	@touch $@

$(STAMPS)/install-tests: $(STAMPS)/venv $(BUILD_INPUTS)
	$(call stage_start,install-tests)
	PATH=$(abspath $(BIN)):$$PATH $(PY) -m pip install -q --no-build-isolation -e ".[test]" \
	  -Cbuild-dir=build/py -Ccmake.define.SHOAL_BUILD_TESTS=ON
	$(call stage_end,install-tests)
	@touch $@ $(STAMPS)/install

# Apache Kafka's client, tools and message definitions from Maven Central, into a cache outside
# the tree: the reference the protocol tests compare Shoal with.
$(STAMPS)/kafka: $(STAMPS)/system scripts/fetch-kafka.sh scripts/kafka/pom.xml
	bash scripts/fetch-kafka.sh
	@mkdir -p $(STAMPS) && touch $@

# franz-go, for the Go client test (tests/go/clientcheck; go.sum pins it), from the Go module
# proxy into Go's module cache.
GO ?= $(shell command -v go || echo /usr/local/go/bin/go)
$(STAMPS)/go: tests/go/clientcheck/go.mod tests/go/clientcheck/go.sum
	cd tests/go/clientcheck && $(GO) mod download
	@mkdir -p $(STAMPS) && touch $@

cpp-test: $(STAMPS)/install-tests
	$(call stage_start,cpp-test)
	$(BIN)/ctest --test-dir build/py --output-on-failure -j $(JOBS)
	$(call stage_end,cpp-test)

asan-test: $(STAMPS)/venv
	$(call stage_start,asan-test)
	$(BIN)/cmake -S . -B build/asan -G Ninja -DCMAKE_MAKE_PROGRAM=$(abspath $(BIN))/ninja \
	  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSHOAL_SANITIZE=ON -DSHOAL_BUILD_TESTS=ON
	$(BIN)/cmake --build build/asan -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  $(BIN)/ctest --test-dir build/asan --output-on-failure -j $(JOBS)
	$(call stage_end,asan-test)

py-test: $(STAMPS)/install-tests $(STAMPS)/kafka $(STAMPS)/go
	$(call stage_start,py-test)
	$(PY) -m pytest --durations=15
	$(call stage_end,py-test)

lint: $(STAMPS)/install-tests
	$(call stage_start,lint)
	$(BIN)/ruff check python tests/python examples cpp/protocol/codegen
	$(BIN)/ruff format --check python tests/python examples cpp/protocol/codegen
	clang-format --dry-run --Werror $(CPP_FILES)
	$(call stage_end,lint)

format: $(STAMPS)/install-tests
	$(BIN)/ruff format python tests/python examples cpp/protocol/codegen
	$(BIN)/ruff check --fix python tests/python examples cpp/protocol/codegen
	clang-format -i $(CPP_FILES)

clean:
	rm -rf build $(STAMPS)
