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

# the main job on embedded defaults: build every board's firmware (checked, within budget), then push one
# message through the same seal/verify/decrypt code the nodes run, with a demo key kept in dist/
run: install
	$(MESHWORK) build
	@test -f dist/demo.key || $(MESHWORK) keys new --out dist/demo.key --mesh demo
	@echo; echo "A message sealed into a frame with dist/demo.key (sequence number = the time, so never reused):"
	@F=$$($(MESHWORK) encode --key dist/demo.key --src 1a2b --dst c0ffee --seq $$(date +%s) '{"t":"txt","m":"hello from make run"}') && \
	  echo "  $$F" && echo && $(MESHWORK) decode --key dist/demo.key $$F
	@echo; echo "Next: node bin/meshwork.mjs --help   (keys new, encode, decode, build --board NAME)"

typecheck: install
	npx tsc -p tsconfig.json
	npx tsc -p firmware/tsconfig.json

# every test: Node suites, the built bundles under the Espruino emulation, and the real interpreter
# suites (they say clearly that they were skipped unless ESPRUINO_BIN points at an Espruino binary)
test: install typecheck
	node test/run-tests.mjs

test-espruino: install
	@if [ -z "$$ESPRUINO_BIN" ]; then echo "test-espruino: SKIPPED: set ESPRUINO_BIN to an Espruino Linux binary"; exit 0; fi
	node test/run-tests.mjs test/bundle-vectors test/memory-budget test/aes test/fragmentation test/build test/congestion test/routing-espruino

# every benchmark; the routing one in its --quick form (the full one, bench-routing, runs for hours
# while the meshwork policy's control traffic is being fixed: see README)
bench: install
	@for f in bench/*.ts; do echo "== $$f"; if [ "$$f" = bench/routing.ts ]; then npx tsx $$f --quick || exit 1; else npx tsx $$f || exit 1; fi; done

bench-routing: install
	npx tsx bench/routing.ts

clean:
	rm -rf dist
