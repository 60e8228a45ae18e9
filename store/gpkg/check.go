package gpkg

import (
	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/errs"
)

// checkBundle rejects a bundle before anything is written: every problem
// bundle.Check finds, as one Invalid error.
func checkBundle(b *bundle.Bundle) error {
	if b == nil {
		return errs.E(errs.Invalid, "bundle", "no bundle")
	}
	return bundle.Check(b).Err()
}
