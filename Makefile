# Pod/Runner — top-level Makefile.
#
# Every layer is a folder with its own Makefile (targets: all test bench clean);
# this file only walks them in order. A layer takes part once it has a Makefile.
#
#   make            build every layer          make test    every layer's tests
#   make bench      every layer's benchmark    make docs    Doxygen site in docs/html
#   make fuzz       bounded fuzzing runs       make deps    install what is missing
#   make clean      remove build outputs       make SAN=1 test   ASan + UBSan
#   make install PREFIX=/usr/local DESTDIR=    a relocatable install (.mk/install.sh)
#   make try        every chapter's minimal example and "Try this" exercises, checked
#   make format-check   every C/C++ source of the tree matches .clang-format

LAYERS := 01-ring 02-ipc 03-sandbox 04-policy 05-proxy 06-ebpf 07-runner
ACTIVE := $(patsubst %/Makefile,%,$(wildcard $(addsuffix /Makefile,$(LAYERS))))

.PHONY: all test bench fuzz docs deps deps-ensure clean install check-tree try format-check

PREFIX ?= /usr/local
DESTDIR ?=

all: deps-ensure
	@set -e; for l in $(ACTIVE); do $(MAKE) --no-print-directory -C $$l; done

# Runs every layer's suite even when one fails, then reports and fails. A
# failed part's own failure lines (Check's FILE:LINE:F:, TAP's "not ok", FAIL,
# Bun's "(fail)") are repeated at the end, where a log's tail shows them.
FAIL_LINES := ':[0-9]+:[FE]:|^not ok|FAIL|^\(fail\)|^ *(error|Error)[: ]'
test: deps-ensure
	@pass=0; fail=0; failed=; logs=$$(mktemp -d); \
	for l in $(ACTIVE) tree; do \
	  echo "=== $$l: make $$([ $$l = tree ] && echo check-tree || echo test)"; \
	  if [ $$l = tree ]; then set -- check-tree; else set -- -C $$l test; fi; \
	  log=$$logs/$$(echo $$l | tr / _); \
	  { $(MAKE) --no-print-directory "$$@"; echo $$? >$$log.rc; } 2>&1 | tee $$log.log; \
	  if [ "$$(cat $$log.rc)" = 0 ]; then pass=$$((pass+1)); \
	  else fail=$$((fail+1)); failed="$$failed $$l"; fi; \
	done; \
	for l in $$failed; do \
	  echo "=== what failed in $$l:"; \
	  grep -E $(FAIL_LINES) $$logs/$$(echo $$l | tr / _).log | grep -v -E '^ *(OK|SKIP)' | head -40; \
	done; \
	rm -rf $$logs; \
	[ -z "$$failed" ] || echo "failed layers:$$failed"; \
	echo "layers: $$pass passed, $$fail failed"; \
	[ $$fail -eq 0 ]

# Checks of the whole tree, after the layers are built and tested: every
# reference resolves, the generated reference pages match their sources, the API
# reference fails when incomplete, the moved and installed tree runs, and every
# chapter's exercises give the output the chapter shows (make try).
check-tree:
	@rc=0; \
	python3 .mk/check-refs.py || rc=1; \
	.mk/test-check-refs.sh || rc=1; \
	$(MAKE) --no-print-directory format-check || rc=1; \
	python3 docs/gen_sdk_reference.py --check || rc=1; \
	python3 docs/gen_audit_reference.py --check || rc=1; \
	.mk/test-docs-gate.sh || rc=1; \
	.mk/test-relocate.sh || rc=1; \
	$(MAKE) --no-print-directory try || rc=1; \
	exit $$rc

# Each layer's run is also appended to its bench/RESULTS.md (.mk/bench-record.sh).
bench: all
	@set -e; for l in $(ACTIVE); do \
	  log=$$(mktemp); { $(MAKE) --no-print-directory -C $$l bench; echo $$? >$$log.rc; } 2>&1 | tee $$log; \
	  rc=$$(cat $$log.rc); .mk/bench-record.sh $$l $$log; rm -f $$log $$log.rc; [ "$$rc" = 0 ]; done

fuzz: deps-ensure
	@set -e; for l in $(ACTIVE); do \
	  if $(MAKE) -C $$l -n fuzz >/dev/null 2>&1; then $(MAKE) --no-print-directory -C $$l fuzz; fi; \
	done

docs: deps-ensure
	@$(MAKE) --no-print-directory -C docs

# Layers whose exercises need root (real pods, eBPF, network namespaces) are
# skipped unprivileged, and fail then with POD_REQUIRE_PRIVILEGED=1.
TRY_UNPRIVILEGED := 01-ring 02-ipc 04-policy
try: all
	@set -e; for l in $(ACTIVE); do \
	  if [ "$$(id -u)" = 0 ] || echo " $(TRY_UNPRIVILEGED) " | grep -q " $$l "; then \
	    echo "=== $$l: make try"; $(MAKE) --no-print-directory -C $$l try; \
	  elif [ "$${POD_REQUIRE_PRIVILEGED:-0}" = 1 ]; then echo "FAIL: $$l: make try needs root"; exit 1; \
	  else echo "SKIP: $$l: make try needs root"; fi; done

# Every C and C++ source of the layers, the example and .mk (build output and
# fetched dependencies left out).
FORMAT_FILES = $(shell find 0[1-7]-* example .mk \( -name build -o -name node_modules \) -prune \
	-o \( -name '*.[ch]' -o -name '*.cpp' \) -print)

format-check:
	@clang-format --style=file --dry-run --Werror $(FORMAT_FILES) && \
	echo "  OK       $(words $(FORMAT_FILES)) files match .clang-format"

install: all
	@.mk/install.sh "$(DESTDIR)" "$(PREFIX)"

deps:
	@.mk/deps.sh

deps-ensure:
	@.mk/deps.sh --check || .mk/deps.sh

clean:
	@for l in $(ACTIVE); do $(MAKE) --no-print-directory -C $$l clean; done
	@[ ! -f docs/Makefile ] || $(MAKE) --no-print-directory -C docs clean
