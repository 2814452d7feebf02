// Package plan decides where a run's workers live. It needs no root: seed 003's unit tests are of this kind.
package plan

import (
	"fmt"
	"path/filepath"
)

// MaxWorkers bounds one run, as the real builder bounds its worker slots.
const MaxWorkers = 64

// Roots returns the root folder of each of n workers under base, in worker order.
func Roots(base string, n int) ([]string, error) {
	if !filepath.IsAbs(base) {
		return nil, fmt.Errorf("base %q is not an absolute path", base)
	}
	if n < 1 || n > MaxWorkers {
		return nil, fmt.Errorf("%d workers: want 1 to %d", n, MaxWorkers)
	}
	roots := make([]string, n)
	for i := range roots {
		roots[i] = filepath.Join(filepath.Clean(base), fmt.Sprintf("worker-%d", i))
	}
	return roots, nil
}
