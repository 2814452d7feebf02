#!/usr/bin/env bash
# Regenerates the parser fixtures from the real tools (Debian: golang-go, perl, bats).
# Run from this folder; the outputs are committed so the parser tests need none of these tools.
set -u
cd "$(dirname "$0")"
export GOFLAGS=-mod=mod GOTOOLCHAIN=local GOPATH="${TMPDIR:-/tmp}/cilab-gopath" GOCACHE="${TMPDIR:-/tmp}/cilab-gocache"
# Go's own standard library: real passing output.
go test -json -count=1 -run 'TestCompare|TestEqualFold|TestCut' strings > go-stdlib.json
( cd sources/gomod && go test -json -count=1 ./mixed ./panics ./broken ) > go-mixed.json 2>&1
( cd sources/gomod && go test -json -count=1 -timeout 2s ./slow ) > go-timeout.json 2>&1
( cd sources/gomod && go test -v -count=1 ./mixed ./panics ./broken ) > go-mixed.txt 2>&1
perl sources/tap/more.t > perl-more.tap 2>&1
bats --tap sources/tap/sample.bats > bats.tap
echo "fixtures regenerated"
