package sqlstore

import (
	"context"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/store"
)

// ImportDialect is the backend's part of an import: the shifts are
// stored by the backend's own code.
type ImportDialect interface {
	// ReplaceShifts replaces the stored shifts.
	ReplaceShifts(ctx context.Context, shifts []bundle.Shift) error
}

// Import applies req in one transaction, serialised against other
// imports (see store.Importer and PlansBackend.WriteImport). The plan is
// validated against the bundle in effect, read under the import lock.
func (s *PlanStore) Import(ctx context.Context, req store.ImportRequest) (store.ImportResult, error) {
	var res store.ImportResult
	if err := store.CheckImport(req); err != nil {
		return res, err
	}
	var enc store.EncodedPlan
	if req.Plan != nil {
		var err error
		if enc, err = store.EncodePlan(req.Plan, s.b.EncodeGeom); err != nil {
			return res, err
		}
	}
	err := s.b.WriteImport(ctx, func(tx PlansTx) error {
		res = store.ImportResult{}
		return s.importTx(ctx, tx, req, enc, &res)
	})
	if err != nil {
		return store.ImportResult{}, err
	}
	return res, nil
}

// importTx is Import's steps in tx, calling the import hook after each.
func (s *PlanStore) importTx(ctx context.Context, tx PlansTx, req store.ImportRequest, enc store.EncodedPlan, res *store.ImportResult) error {
	d, err := store.Decide(req,
		func() (*bundle.Bundle, error) { return readBundle(ctx, tx) },
		func() (*gridplan.Plan, error) { return readPlan(ctx, tx, publishedPlan) })
	if err != nil {
		return err
	}
	res.Warnings = d.Warnings
	s.hook("decided")
	if req.Bundle != nil {
		if err := replaceBundle(ctx, tx, req.Bundle, s.b.EncodeGeom); err != nil {
			return err
		}
		s.hook("bundle")
	}
	if req.ReplaceShifts {
		if err := tx.ReplaceShifts(ctx, req.Shifts); err != nil {
			return err
		}
	}
	if d.Withdraw != 0 {
		if err := archive(ctx, tx, d.Withdraw, true); err != nil {
			return err
		}
		res.Withdrawn = d.Withdraw
	}
	if req.Plan == nil {
		return nil
	}
	if res.Plan, err = insertPlan(ctx, s.Now(), tx, req.Plan, enc); err != nil {
		return err
	}
	s.hook("plan")
	if req.Publish {
		if err := publish(ctx, s.Now(), tx, res.Plan); err != nil {
			return err
		}
		res.Published = true
		s.hook("publish")
	}
	return nil
}
