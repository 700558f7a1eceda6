# Meshwork: `make run` (the main job on embedded defaults) and `make test` (all tests) work on a fresh machine.
SHELL := /bin/bash
NODE_STAMP := node_modules/.install-stamp
MESHWORK := node bin/meshwork.mjs

.PHONY: run test build bench bench-routing install test-espruino typecheck clean

# npm packages (exact versions from package-lock.json); re-run when the lock file changes
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $(NODE_STAMP)

# Debian packages the tests and `make run` need (socat, mosquitto, chromium): installed when missing
SYSTEM_STAMP := node_modules/.system-stamp
$(SYSTEM_STAMP): scripts/setup-system.sh
	scripts/setup-system.sh
	@mkdir -p node_modules && touch $(SYSTEM_STAMP)

install: $(NODE_STAMP) $(SYSTEM_STAMP)

build: install
	$(MESHWORK) build

# the main job on embedded defaults: build every board's firmware, then a simulated community mesh (30 nodes of
# the real core, one gateway) bridged to the embedded MQTT broker, with the dashboard fed from the broker; it
# prints the URLs and what to try (Ctrl-C stops). DEMO_ARGS passes options, e.g. make run DEMO_ARGS="--nodes 60"
run: install
	$(MESHWORK) build
	$(MESHWORK) demo $(DEMO_ARGS)

typecheck: install
	npx tsc -p tsconfig.json
	npx tsc -p firmware/tsconfig.json

# every test: Node suites, the built bundles under the Espruino emulation, and the real interpreter
# suites (they say clearly that they were skipped unless ESPRUINO_BIN points at an Espruino binary)
test: install typecheck
	node test/run-tests.mjs

test-espruino: install
	@if [ -z "$$ESPRUINO_BIN" ]; then echo "test-espruino: SKIPPED: set ESPRUINO_BIN to an Espruino Linux binary"; exit 0; fi
	node test/run-tests.mjs test/bundle-vectors test/memory-budget test/aes test/fragmentation test/build test/congestion test/routing-espruino test/espruino-mesh test/emulated-mesh

# every benchmark; the routing one in its --quick form (the full one, bench-routing, takes ~45 minutes on a
# 2-core machine, most of it the 1000-node hour of section 6)
bench: install
	@for f in bench/*.ts; do echo "== $$f"; if [ "$$f" = bench/routing.ts ]; then npx tsx $$f --quick || exit 1; else npx tsx $$f || exit 1; fi; done

bench-routing: install
	npx tsx bench/routing.ts

clean:
	rm -rf dist
