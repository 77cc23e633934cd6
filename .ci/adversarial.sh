#!/usr/bin/env bash
# The adversarial suite with its numbers (docs/reliability.md, "The web
# lab under attack, and damaged stores"): damaged tables, a loopback load
# test of 50 clients for 10 s with p99, slow clients, panics, GET without
# side effects, renamed runs, tokens. Loopback addresses only; every loop
# is bounded. About 45 s on two busy cores (the same tests also run in
# `go test ./...`).
set -euo pipefail
cd "$(dirname "$0")/.."
export GOFLAGS=${GOFLAGS:--buildvcs=false}

go test -count=1 ./internal/store -run '^(TestDamagedTables|TestTableOfAnotherRun|TestDamagedManifest|TestClaimsBeyondTheFile)$' -v 2>&1 | grep -E '^(--- |ok|FAIL|PASS)' 
go test -count=1 ./internal/web -v -run '^(TestDamagedRunDoesNotJamTheLab|TestPanicIsAnsweredAndReleased|TestGetChangesNothing|TestRenamedRun|TestDamagedManifestInTheLab|TestSlowClientsCannotStarve|TestHeaderLimit|TestEventStreamOutlivesTimeouts|TestHeavyRequestsOutliveTimeouts|TestLoopbackLoad)$' 2>&1 |
  grep -E '^(--- |ok|FAIL|PASS)|adversarial_test.go|hostile_test.go'
go test -count=1 ./cmd/nosedive -run '^(TestServeToken|TestReportDamagedRun)$' -v 2>&1 | grep -E '^(--- |ok|FAIL|PASS)'
