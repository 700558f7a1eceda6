# Meshwork: `make run` (the main job on embedded defaults) and `make test` (all tests) work on a fresh machine.
SHELL := /bin/bash
NODE_STAMP := node_modules/.install-stamp
MESHWORK := node bin/meshwork.mjs

.PHONY: run test build bench install test-espruino typecheck clean

# npm packages (exact versions from package-lock.json); re-run when the lock file changes
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $(NODE_STAMP)

install: $(NODE_STAMP)

build: install
	$(MESHWORK) build

run: install
	$(MESHWORK) build
	@echo
	@echo "Firmware bundles are in dist/firmware/. Inspect a frame:  node bin/meshwork.mjs decode --help"
	@echo "Make a network key:  node bin/meshwork.mjs keys new --out network.key"

typecheck: install
	npx tsc -p tsconfig.json
	npx tsc -p firmware/tsconfig.json

# every test: Node suites, the built bundles under the Espruino emulation, and the real interpreter
# suites (they say clearly that they were skipped unless ESPRUINO_BIN points at an Espruino binary)
test: install typecheck
	node test/run-tests.mjs

test-espruino: install
	@if [ -z "$$ESPRUINO_BIN" ]; then echo "test-espruino: SKIPPED: set ESPRUINO_BIN to an Espruino Linux binary"; exit 0; fi
	node test/run-tests.mjs test/espruino

bench: install
	@for f in bench/*.ts; do echo "== $$f"; npx tsx $$f || exit 1; done

clean:
	rm -rf dist
