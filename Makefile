# The two commands: `make run` and `make test`. Everything else is a helper.
BUILD_DIR ?= build
ASAN_DIR ?= build-asan
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: setup configure build run test test-asan bench clean format

setup:
	@scripts/setup

configure: setup
	@scripts/configure $(BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS)

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	$(BUILD_DIR)/liasonpay serve --dev

test: build
	@scripts/test

bench: build
	@bench/run

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR)

format:
	@git ls-files '*.cpp' '*.hpp' | xargs clang-format -i
