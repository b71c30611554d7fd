# Sluice: make deps | build | test | run | bench | install | fuzz
# Every target is safe to run repeatedly; `make test` from a clean clone installs what it needs.

SHELL := /bin/bash
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
BUILD_DIR ?= build/release
TEST_DIR ?= build/asan
PREFIX ?= /usr/local
DESTDIR ?=

# Debian 12 packages the build, the tests and the benchmarks need.
DEB_PACKAGES := build-essential cmake pkg-config libuv1-dev libssl-dev libyaml-cpp-dev libspdlog-dev \
                catch2 node-llhttp rapidjson-dev libre2-dev libsystemd-dev openssl systemd systemd-journal-remote \
                syslog-ng-core syslog-ng-mod-http jq librdkafka-dev kcat lintian

.PHONY: all deps build test run bench bench-quick soak install clean deb portable-check

all: build

deps:
	@missing=""; \
	for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then echo "deps: all Debian packages present"; exit 0; fi; \
	echo "deps: installing$$missing"; \
	if [ "$$(id -u)" = 0 ]; then SUDO=""; \
	elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; \
	else echo "deps: not root and no sudo; run as root:"; \
	     echo "  apt-get update && apt-get install -y --no-install-recommends$$missing"; exit 1; fi; \
	$$SUDO apt-get update -q && \
	DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q --no-install-recommends $$missing

# PORTABLE=1: build/portable/sluice, every library but glibc linked statically (README "Packages").
PORTABLE ?=
PORTABLE_DIR ?= build/portable
build:
ifeq ($(PORTABLE),1)
	cmake -S . -B $(PORTABLE_DIR) -DCMAKE_BUILD_TYPE=Release -DSLUICE_PORTABLE=ON
	cmake --build $(PORTABLE_DIR) -j $(JOBS) --target sluice
else
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BUILD_DIR) -j $(JOBS)
endif

# The test build runs with AddressSanitizer and UndefinedBehaviorSanitizer; any report fails the test.
# Memory tests and the package test run the Release binary too (the sanitizers' allocator hides what glibc's does):
# it alone is built first in the Release tree (the tests, fuzz drivers and bench are built, with -Werror, in the test tree).
test: deps
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BUILD_DIR) -j $(JOBS) --target sluice
	cmake -S . -B $(TEST_DIR) -DCMAKE_BUILD_TYPE=Debug -DSLUICE_SANITIZE=ON -DSLUICE_RELEASE_BINARY=$(CURDIR)/$(BUILD_DIR)/sluice
	cmake --build $(TEST_DIR) -j $(JOBS)
	cd $(TEST_DIR) && ctest --output-on-failure -j $(JOBS) --timeout 600

# stdin -> the stdout sink of conf/sluice.yaml; also -> $DRAIN_URL when it is set.
run: build
	@mkdir -p build/run-state
	SLUICE_STATE_DIR=$(CURDIR)/build/run-state \
	  $(BUILD_DIR)/sluice --config conf/sluice.yaml $${DRAIN_URL:+--drain "$$DRAIN_URL"}

# Every row, medians of BENCH_RUNS runs (default 5); BENCH_ONLY=REGEX runs the rows whose name it finds.
BENCH_RUNS ?= 5
bench: build
	$(BUILD_DIR)/bench/sluice-bench --agent $(BUILD_DIR)/sluice --runs $(BENCH_RUNS) $(if $(BENCH_ONLY),--only '$(BENCH_ONLY)')

# One run per row, fewer lines in the long rows: a smoke test of the benchmark itself.
bench-quick: build
	$(BUILD_DIR)/bench/sluice-bench --agent $(BUILD_DIR)/sluice --quick $(if $(BENCH_ONLY),--only '$(BENCH_ONLY)')

# The chaos soak (README "Soak"): SOAK_MINUTES of kills, reloads, drain failures and a full disk; exit 0 when no line
# was lost. SOAK_BUILD_DIR=build/asan runs it on the sanitizer build (make test builds that).
SOAK_MINUTES ?= 10
SOAK_BUILD_DIR ?= $(BUILD_DIR)
soak: build
	@if [ "$(SOAK_BUILD_DIR)" != "$(BUILD_DIR)" ]; then cmake --build $(SOAK_BUILD_DIR) -j $(JOBS) --target sluice sluice-soak; fi
	$(SOAK_BUILD_DIR)/tests/soak/sluice-soak --agent $(SOAK_BUILD_DIR)/sluice --minutes $(SOAK_MINUTES) $(if $(SOAK_SEED),--seed $(SOAK_SEED))

install: build
	install -D -m 0755 $(BUILD_DIR)/sluice $(DESTDIR)$(PREFIX)/bin/sluice
	install -D -m 0644 README.md $(DESTDIR)$(PREFIX)/share/doc/sluice/README.md
	install -d $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man5 \
	  $(DESTDIR)$(PREFIX)/share/bash-completion/completions
	$(BUILD_DIR)/sluice --man 1 | gzip -9n > $(DESTDIR)$(PREFIX)/share/man/man1/sluice.1.gz
	$(BUILD_DIR)/sluice --man 5 | gzip -9n > $(DESTDIR)$(PREFIX)/share/man/man5/sluice.yaml.5.gz
	$(BUILD_DIR)/sluice --completion bash > $(DESTDIR)$(PREFIX)/share/bash-completion/completions/sluice
	install -d $(DESTDIR)/etc/systemd/system
	sed -e 's#/usr/local/bin/sluice#$(PREFIX)/bin/sluice#' -e 's#/usr/local/share/doc#$(PREFIX)/share/doc#' \
	  systemd/sluice.service > $(DESTDIR)/etc/systemd/system/sluice.service
	chmod 0644 $(DESTDIR)/etc/systemd/system/sluice.service
	@if [ ! -f $(DESTDIR)/etc/sluice/sluice.yaml ]; then \
	  install -D -m 0644 conf/vm.yaml $(DESTDIR)/etc/sluice/sluice.yaml; \
	else echo "install: keeping existing $(DESTDIR)/etc/sluice/sluice.yaml"; fi
	@echo "installed; as root: systemctl daemon-reload && systemctl enable --now sluice"

clean:
	rm -rf build

# build/deb/sluice_VERSION-REVISION_ARCH.deb from the Release binary (packaging/build_deb.sh; README "Packages").
deb:
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BUILD_DIR) -j $(JOBS) --target sluice
	packaging/build_deb.sh $(BUILD_DIR)/sluice build/deb

# The portable build, and a check that it needs nothing but glibc and still runs the quick-mode wrapper. A build
# of its own (not in `make test`): it compiles everything once more.
portable-check:
	$(MAKE) build PORTABLE=1
	tests/packaging/portable_test.sh $(PORTABLE_DIR)/sluice

# Every libFuzzer target (tests/fuzz/README.md) built with clang, ASan and UBSan (-O1, asserts on), run FUZZ_SECONDS
# each, one after the other; one line per target with its executions. A crash fails the target and names its input.
# FUZZ_TARGETS="url units" runs only those.
DEB_PACKAGES += clang libclang-rt-14-dev
FUZZ_DIR ?= build/fuzz
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?=
.PHONY: fuzz
fuzz: deps
	CC=clang CXX=clang++ cmake -S . -B $(FUZZ_DIR) -DCMAKE_BUILD_TYPE=Debug -DSLUICE_SANITIZE=ON -DSLUICE_FUZZ=ON \
	  -DCMAKE_C_FLAGS_DEBUG="-g -O1" -DCMAKE_CXX_FLAGS_DEBUG="-g -O1"
	cmake --build $(FUZZ_DIR) --target sluice_fuzz -j $(JOBS)
	tests/fuzz/run_fuzz.sh $(FUZZ_DIR) $(FUZZ_SECONDS) $(FUZZ_TARGETS)
