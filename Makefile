# The front door. Every target first runs scripts/bootstrap, which installs missing Debian
# packages (quick when nothing is missing). Builds go to build/<preset> (CMakePresets.json).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
CMAKE_QUIET := >/dev/null

.PHONY: all bootstrap demo demo-trace diagnostics-overhead test conformance models models-long tsan asan clang bench bench-io bench-report docs fuzz mutants proptests-long clean

all: test

bootstrap:
	@bash scripts/bootstrap

# Configure (once) and build one preset: $(call build,<preset>[,<target>])
define build
	cmake --preset $(1) $(CMAKE_QUIET)
	cmake --build --preset $(1) $(if $(2),--target $(2))
endef

demo: bootstrap
	$(call build,release,tpl_demo tpl_task_demo tpl_http_demo)
	./build/release/examples/tpl_demo
	./build/release/examples/tpl_task_demo
	./build/release/examples/tpl_http_demo

# The fork-join demo traced through tpl::diagnostics::tracer into Chrome trace-event JSON
# (open build/release/tpl_trace.json in chrome://tracing or https://ui.perfetto.dev), checked.
demo-trace: bootstrap
	$(call build,release,tpl_chrome_trace)
	./build/release/examples/tpl_chrome_trace build/release/tpl_trace.json
	/usr/bin/python3 scripts/check_chrome_trace.py build/release/tpl_trace.json

# What diagnostics cost: hooks compiled out vs in (off, recording, tracer), medians and ratios.
diagnostics-overhead: bootstrap
	bash scripts/diagnostics_overhead.sh

# Everything CI runs: g++ release (unit, prop, model, stress, install, conformance, and clang 19's
# front end over the sources only this build compiles), then ThreadSanitizer and ASan+UBSan, both
# built by clang 19 (label `sanitizer`; the asan run also runs the libFuzzer targets for 20 s each,
# label `fuzz`). Every source is thus compiled by both compilers with warnings as errors; the full
# clang 19 build and run of everything is `make clang` (docs/testing.md says why it left `make test`).
test: bootstrap
	$(call build,release)
	ctest --preset release
	$(call build,tsan)
	ctest --preset tsan
	$(call build,asan)
	ctest --preset asan
	@echo "make test: release (with clang 19's warnings), tsan and asan suites all passed"

# The conformance vectors (conformance/SCHEMA.md) against .NET (Mono) and against tpl, directly
# and through the port protocol's reference runner; each prints its counts. `make test` runs the
# same checks as ctest's `conformance` label.
conformance: bootstrap
	$(call build,release,tpl_conformance_replay tpl_conformance_oracle)
	/usr/bin/python3 conformance/tests/check_vectors.py conformance
	mono build/release/conformance/oracle.exe conformance/vectors
	./build/release/conformance/tpl_conformance_replay conformance/vectors
	/usr/bin/python3 conformance/reference_runner.py --replayer build/release/conformance/tpl_conformance_replay conformance/vectors

# The Relacy models with the searches `make test` runs (each scenario's CI tier: minutes on one
# core), and with the full searches (`make models-long`: each scenario's long tier, today's
# budgets: about 15 minutes, model_cancellation alone ~10; docs/testing.md has the table). The
# long tier runs each model binary with no ctest timeout.
models: bootstrap
	$(call build,model)
	ctest --preset model

models-long: bootstrap
	$(call build,model)
	for model in build/model/models/model_*; do \
	  case $$model in *planted_bug) continue;; esac; \
	  echo "== $$model (long tier)"; TPL_MODEL_TIER=long $$model || exit 1; \
	done

tsan: bootstrap
	$(call build,tsan)
	ctest --preset tsan

asan: bootstrap
	$(call build,asan)
	ctest --preset asan

clang: bootstrap
	$(call build,clang)
	ctest --preset clang

bench: bootstrap
	scripts/bootstrap linux-perf
	$(call build,release)
	./build/release/bench/bench_work_stealing_deque
	./build/release/bench/bench_fork_join
	./build/release/bench/bench_fork_join --memory
	./build/release/bench/bench_cancellation
	./build/release/bench/bench_blocking
	./build/release/bench/bench_combinators
	./build/release/bench/bench_value_task
	./build/release/bench/bench_diagnostics
	./build/release/bench/bench_echo
	TPL_IO_BACKEND=epoll ./build/release/bench/bench_echo --benchmark_filter=tpl_echo
	./build/release/bench/bench_echo --memory
	python3 scripts/bench_io_external.py build/release --quick
	python3 scripts/instructions_per_task.py build/release
	bench/compile_time.sh

# The external I/O benchmark in full (scripts/bench_io_external.py: tpl, Asio epoll, Asio io_uring,
# a raw epoll loop and a raw io_uring loop; 64 B / 4 KiB echo and HTTP; 1, 100, 1,000 connections;
# 1 and 2 workers; 3 interleaved rounds: about 16 minutes). `make bench` runs its quick form.
bench-io: bootstrap
	scripts/bootstrap linux-perf
	$(call build,release)
	python3 scripts/bench_io_external.py build/release

# The fork-join and cancellation benchmarks as plots and tables in docs/benchmarks.md (matplotlib
# is installed here only: nothing else needs it).
bench-report: bootstrap
	scripts/bootstrap python3-matplotlib
	$(call build,release)
	/usr/bin/python3 scripts/bench_report.py build/release

# The API reference: Doxygen over the README, docs/ and the public headers' `///` comments
# (docs/Doxyfile.in), as HTML. The `docs` preset builds only the library and the reference, and
# bootstraps only what they need (no test toolchain). `make test` runs the same Doxygen as a
# ctest (api_reference_builds_without_warnings) that fails on any warning.
docs:
	@bash scripts/bootstrap --docs
	$(call build,docs,tpl_api_reference)
	@echo "make docs: the API reference is build/docs/docs/api/index.html (cmake --install build/docs installs it with the library)"

# The libFuzzer targets (fuzz/, clang 19 with ASan+UBSan) for FUZZ_SECONDS each (make test runs
# them for 20 s). A crash or a disagreement with the reference model fails the run and leaves the
# input in build/asan/fuzz/scratch/<name>/artifacts; `build/asan/fuzz/fuzz_<name> <input>` replays it.
FUZZ_SECONDS ?= 300
FUZZ_TARGETS = work_stealing_deque cancellation completion_source
fuzz: bootstrap
	$(call build,asan,$(addprefix fuzz_,$(FUZZ_TARGETS)))
	for name in $(FUZZ_TARGETS); do \
	  cmake -DFUZZER=build/asan/fuzz/fuzz_$$name -DSEEDS=fuzz/corpus/$$name -DDICTIONARY=fuzz/dictionaries/$$name.dict \
	        -DSCRATCH=build/asan/fuzz/scratch/$$name -DSECONDS=$(FUZZ_SECONDS) -P fuzz/run_fuzzer.cmake || exit 1; \
	done

# The property tests with a large budget (CI runs RapidCheck's default of 100 cases a property).
# Each prints its seed; RC_PARAMS="seed=N" reproduces a failure.
proptests-long: bootstrap
	$(call build,release)
	for prop in build/release/proptests/prop_*; do RC_PARAMS="max_success=20000" $$prop; done

# Weakens each memory order in the lock-free headers one at a time and reruns the models.
mutants: bootstrap
	python3 scripts/mutants.py

clean:
	rm -rf build
