# rciam — build, test, demo. `make test` is what CI runs (.ci/run).
GO ?= go

.PHONY: build test test-short reliability demo bench fuzz lint clean

# -buildvcs=auto: rciam version names the commit even where GOFLAGS turns
# VCS stamping off.
build:
	$(GO) build -buildvcs=auto -o bin/rciam ./cmd/rciam

# The test command of the README: vet, then every test with the race
# detector. Integration tests start their own moto_server on 127.0.0.1;
# RCIAM_POLICY_SOURCE keeps the policy documents bundled (no internet).
test:
	$(GO) vet ./...
	RCIAM_POLICY_SOURCE=docs-v1 $(GO) test -race -count=1 -parallel 6 -timeout 15m ./...

# The full reliability sweep (every crash point, 100 fault trials, 20
# concurrent pairs per start state), about 10 minutes on two cores; make
# test runs a seeded sample of it. The figures go to reliability.json and
# docs/reliability.md.
reliability:
	RCIAM_POLICY_SOURCE=docs-v1 RCIAM_RELIABILITY=full RCIAM_RELIABILITY_REPORT=reliability.json \
		$(GO) test -race -count=1 -parallel 6 -timeout 60m -v -run . ./internal/reliability/

# Unit tests only (no moto_server needed).
test-short:
	RCIAM_POLICY_SOURCE=docs-v1 $(GO) test -short -count=1 ./...

# plan → apply → outputs → plan → verify → doctor → destroy against a
# moto_server on loopback.
demo:
	./scripts/demo.sh

bench:
	GOMAXPROCS=1 $(GO) test -run '^$$' -bench EvaluateSeedUserMix -benchtime 2s -cpu 1 ./internal/iampolicy/
	RCIAM_POLICY_SOURCE=docs-v1 $(GO) test -run '^$$' -bench FleetApply -benchtime 1x -timeout 60m ./internal/cli/

# FUZZTIME=10s make fuzz for a short run.
FUZZTIME ?= 2m
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime $(FUZZTIME) ./internal/iampolicy/

# gofmt, vet, tidy modules, staticcheck (pinned in tools/go.mod) and the
# repository standing alone: scripts/lint.sh.
lint:
	GO=$(GO) ./scripts/lint.sh

clean:
	rm -rf bin
