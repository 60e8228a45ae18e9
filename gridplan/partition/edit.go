package partition

import (
	"context"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/gridplan"
)

// Grids is Plan's grids alone: the gridplan.Partitioner that the planner's
// split and rebalance edits (gridplan.ApplyEdit) call.
func Grids(ctx context.Context, b *bundle.Bundle, p gridplan.Params) ([]gridplan.Grid, error) {
	pl, _, err := Plan(ctx, b, p)
	if err != nil {
		return nil, err
	}
	return pl.Grids, nil
}

var _ gridplan.Partitioner = Grids
