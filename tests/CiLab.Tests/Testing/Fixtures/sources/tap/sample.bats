#!/usr/bin/env bats

@test "addition works" {
  [ "$((1 + 1))" -eq 2 ]
}

@test "a failing comparison" {
  result="$(echo hello)"
  [ "$result" = "goodbye" ]
}

@test "skipped for now" {
  skip "waiting on the VM"
}
