package plan

import (
	"strings"
	"testing"
)

func TestRootsAreOnePerWorkerUnderBase(t *testing.T) {
	roots, err := Roots("/var/tmp/run/", 3)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"/var/tmp/run/worker-0", "/var/tmp/run/worker-1", "/var/tmp/run/worker-2"}
	if strings.Join(roots, " ") != strings.Join(want, " ") {
		t.Fatalf("roots = %v, want %v", roots, want)
	}
}

func TestARelativeBaseIsRefused(t *testing.T) {
	if _, err := Roots("run", 1); err == nil || !strings.Contains(err.Error(), "not an absolute path") {
		t.Fatalf("err = %v, want a refusal of the relative base", err)
	}
}

func TestTheWorkerCountIsBounded(t *testing.T) {
	for _, n := range []int{0, -1, MaxWorkers + 1} {
		if _, err := Roots("/tmp", n); err == nil {
			t.Errorf("Roots(/tmp, %d) succeeded, want an error", n)
		}
	}
	if roots, err := Roots("/tmp", MaxWorkers); err != nil || len(roots) != MaxWorkers {
		t.Fatalf("Roots(/tmp, %d) = %d roots, %v", MaxWorkers, len(roots), err)
	}
}
