# Top-level convenience wrapper around CMake. `make run` and `make test` are
# the README's quick start: both install missing packages first.

BUILD   ?= build
TYPE    ?= Release
JOBS    ?= 2
EXAMPLE ?= examples/fashion_mlp.duet
PREFIX  ?= /usr/local

.PHONY: all deps configure build run test install sanitize format clean

all: build

deps:
	@sh scripts/install-deps

configure: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(TYPE) >/dev/null

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

run: build
	./$(BUILD)/duet run $(EXAMPLE)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# duet in $(PREFIX)/bin, its stdlib and what emit-c copies in
# $(PREFIX)/share/duet; DESTDIR is honoured.
install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

# ASan + UBSan build of everything, tests included, in build-san/.
sanitize: deps
	@cmake -S . -B build-san -DCMAKE_BUILD_TYPE=Debug -DDUET_SANITIZE=ON >/dev/null
	@cmake --build build-san -j $(JOBS)
	cd build-san && ctest --output-on-failure -j $(JOBS)

# Applies .clang-format to every C source of the tree.
format:
	git ls-files '*.c' '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD) build-san
