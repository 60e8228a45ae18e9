package sqlstore

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/store"
	"github.com/gridd/gridd/store/sqlq"
)

// PlanStore is the plans, their grids, locks and units, the bundle and
// imports of a SQL backend (gridplan.Store, store.Bundles,
// store.Importer), written once over the backend's PlansBackend. Both
// backends embed it.
type PlanStore struct {
	Hooks
	b PlansBackend
}

// NewPlanStore is the PlanStore of backend b.
func NewPlanStore(b PlansBackend) PlanStore { return PlanStore{b: b} }

// PlansBackend is a backend's side of PlanStore: its geometry encoding
// and its transactions.
type PlansBackend interface {
	// EncodeGeom is the backend's geometry encoding (before any
	// transaction: plans are checked and encoded first).
	EncodeGeom(g orb.Geometry) ([]byte, error)
	// ReadPlans runs fn in one read transaction (one snapshot).
	ReadPlans(ctx context.Context, fn func(PlansTx) error) error
	// WritePlans runs fn in one write transaction, committed when fn
	// succeeds.
	WritePlans(ctx context.Context, what string, fn func(PlansTx) error) error
	// WriteImport is WritePlans for an import: imports are serialised
	// (across processes too), one waiting up to the backend's
	// ImportLockWait for another before it fails with
	// store.ErrImportRunning.
	WriteImport(ctx context.Context, fn func(PlansTx) error) error
}

// PlansTx is one transaction of a backend with its dialects of plans,
// their units and edits, the bundle and imports.
type PlansTx interface {
	sqlq.Tx
	PlansDialect
	PlanUnitsDialect
	BundleDialect
	ImportDialect
}

// PlansDialect is where the backends' plan SQL differs: table names,
// geometry and time columns, locking, bulk writes and the GeoPackage's
// derived tables (the published grids, layer extents).
type PlansDialect interface {
	TimeDialect
	// Tables names the table of every plan's grids and of their locks.
	Tables() (grids, locks string)
	// Geom is the SQL of geometry column col as the bytes Decode reads.
	Geom(col string) string
	// Decode decodes a geometry Geom selected.
	Decode(blob []byte) (orb.Geometry, error)
	// LockPlans serialises plan lifecycle changes for the rest of the
	// transaction; RowLock is the clause that locks the rows a SELECT
	// reads ("" where the write transaction holds the lock already).
	LockPlans(ctx context.Context) error
	RowLock() string
	// InsertGrids writes grids as plan id's (blobs: their encoded
	// geometries).
	InsertGrids(ctx context.Context, id gridplan.PlanID, grids []gridplan.Grid, blobs [][]byte) error
	// TablesChanged is told that the rows of tables changed; GridsGrown
	// that grids covering b were added to a plan (and maybe some removed);
	// PublishedChanged that which plan is published, or its grids,
	// changed.
	TablesChanged(ctx context.Context, tables ...string) error
	GridsGrown(ctx context.Context, b orb.Bound) error
	PublishedChanged(ctx context.Context) error
}

// CreatePlan stores p as a new draft with its grids. It checks the plan's
// own fields only: plans from outside enter through Import, which
// validates them against the bundle.
func (s *PlanStore) CreatePlan(ctx context.Context, p *gridplan.Plan) (gridplan.PlanID, error) {
	e, err := store.EncodePlan(p, s.b.EncodeGeom)
	if err != nil {
		return 0, err
	}
	if err := store.CheckPlanUnits(p); err != nil {
		return 0, err
	}
	var id gridplan.PlanID
	err = s.b.WritePlans(ctx, "plan", func(tx PlansTx) (err error) {
		id, err = insertPlan(ctx, s.Now(), tx, p, e)
		return err
	})
	if err != nil {
		return 0, err
	}
	return id, nil
}

// insertPlan inserts p as a draft in tx and returns its id.
func insertPlan(ctx context.Context, now time.Time, tx PlansTx, p *gridplan.Plan, e store.EncodedPlan) (gridplan.PlanID, error) {
	var parent any
	if p.Parent != 0 {
		if _, err := PlanStatus(ctx, tx, p.Parent); errs.Is(err, errs.NotFound) {
			return 0, errs.E(errs.Invalid, "parent", "parent plan %d does not exist", p.Parent)
		} else if err != nil {
			return 0, err
		}
		parent = int64(p.Parent)
	}
	var id gridplan.PlanID
	err := tx.QueryRow(ctx, `INSERT INTO plans (name, status, parent, params, report, created_at)
		VALUES ($1, 'draft', $2, $3, $4, $5) RETURNING id`,
		strings.TrimSpace(p.Name), parent, string(e.Params), e.Report, tx.Time(now)).Scan(&id)
	if err != nil {
		return 0, err
	}
	if err := tx.InsertGrids(ctx, id, p.Grids, e.Blobs); err != nil {
		return 0, err
	}
	if err := insertLocks(ctx, tx, id, p.Grids); err != nil {
		return 0, err
	}
	if err := insertUnits(ctx, tx, id, p.Units); err != nil {
		return 0, err
	}
	grids, _ := tx.Tables()
	return id, tx.TablesChanged(ctx, grids)
}

const planCols = `id, name, status, coalesce(parent, 0), params, report, created_at, published_at`

func scanPlan(d TimeDialect, row sqlq.Row) (*gridplan.Plan, error) {
	var p gridplan.Plan
	var params, report []byte
	if err := row.Scan(&p.ID, &p.Name, &p.Status, &p.Parent, &params, &report, d.ScanTime(&p.CreatedAt), d.ScanTime(&p.PublishedAt)); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(params, &p.Params); err != nil {
		return nil, err
	}
	if report != nil {
		p.Report = json.RawMessage(report)
	}
	return &p, nil
}

// Plan returns a plan with its grids.
func (s *PlanStore) Plan(ctx context.Context, id gridplan.PlanID) (*gridplan.Plan, error) {
	return s.plan(ctx, `SELECT `+planCols+` FROM plans WHERE id = $1`, int64(id))
}

// PublishedPlan returns the published plan with its grids.
func (s *PlanStore) PublishedPlan(ctx context.Context) (*gridplan.Plan, error) {
	return s.plan(ctx, publishedPlan)
}

const publishedPlan = `SELECT ` + planCols + ` FROM plans WHERE status = 'published'`

func (s *PlanStore) plan(ctx context.Context, query string, args ...any) (*gridplan.Plan, error) {
	var p *gridplan.Plan
	err := s.b.ReadPlans(ctx, func(tx PlansTx) (err error) {
		p, err = readPlan(ctx, tx, query, args...)
		return err
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// readPlan reads the plan query selects, with its grids, in tx.
func readPlan(ctx context.Context, tx PlansTx, query string, args ...any) (*gridplan.Plan, error) {
	p, err := scanPlan(tx, tx.QueryRow(ctx, query, args...))
	if errors.Is(err, sqlq.ErrNoRows) {
		if len(args) == 0 {
			return nil, errs.E(errs.NotFound, "plan", "no plan is published")
		}
		return nil, errs.E(errs.NotFound, "plan", "plan %v does not exist", args[0])
	}
	if err != nil {
		return nil, err
	}
	grids, _ := tx.Tables()
	rows, err := tx.Query(ctx, `SELECT code, community_code, street_code, kind, households, target, `+tx.Geom("geom")+`
		FROM `+grids+` WHERE plan_id = $1 ORDER BY code`, int64(p.ID))
	if err != nil {
		return nil, err
	}
	p.Grids, err = store.ScanGrids(rows, Multi(tx.Decode))
	rows.Close()
	if err != nil {
		return nil, err
	}
	return p, readLocks(ctx, tx, p.ID, p.Grids)
}

// Plans lists all plans, newest first.
func (s *PlanStore) Plans(ctx context.Context) ([]gridplan.Summary, error) {
	var out []gridplan.Summary
	err := s.b.ReadPlans(ctx, func(tx PlansTx) (err error) {
		grids, _ := tx.Tables()
		out, err = sqlq.Collect(ctx, tx, func(r sqlq.Row) (gridplan.Summary, error) {
			var s gridplan.Summary
			var report []byte
			err := r.Scan(&s.ID, &s.Name, &s.Status, &s.Parent, &report, tx.ScanTime(&s.CreatedAt), tx.ScanTime(&s.PublishedAt), &s.Grids, &s.Households)
			if report != nil {
				s.Report = json.RawMessage(report)
			}
			return s, err
		}, `SELECT p.id, p.name, p.status, coalesce(p.parent, 0), p.report, p.created_at, p.published_at,
				coalesce(g.n, 0), coalesce(g.hh, 0)
			FROM plans p LEFT JOIN (SELECT plan_id, count(*) AS n, sum(households) AS hh FROM `+grids+` GROUP BY plan_id) g ON g.plan_id = p.id
			ORDER BY p.created_at DESC, p.id DESC`)
		return err
	})
	return out, err
}

func errNoPlan(id gridplan.PlanID) error {
	return errs.E(errs.NotFound, "plan", "plan %d does not exist", id)
}

// PlanStatus is plan id's status (NotFound when there is no such plan).
func PlanStatus(ctx context.Context, tx sqlq.Tx, id gridplan.PlanID) (gridplan.Status, error) {
	return status(ctx, tx, id, "")
}

func status(ctx context.Context, tx sqlq.Tx, id gridplan.PlanID, rowLock string) (gridplan.Status, error) {
	var st gridplan.Status
	err := tx.QueryRow(ctx, `SELECT status FROM plans WHERE id = $1`+rowLock, int64(id)).Scan(&st)
	if errors.Is(err, sqlq.ErrNoRows) {
		return "", errNoPlan(id)
	}
	return st, err
}

// lockPlan takes the plans' lifecycle lock and answers plan id's status.
func lockPlan(ctx context.Context, tx PlansTx, id gridplan.PlanID) (gridplan.Status, error) {
	if err := tx.LockPlans(ctx); err != nil {
		return "", err
	}
	return status(ctx, tx, id, tx.RowLock())
}

// PublishPlan makes a draft or an archived plan (a rollback) the
// published plan and archives the one published before, in one
// transaction. Publishing the published plan again is a no-op.
func (s *PlanStore) PublishPlan(ctx context.Context, id gridplan.PlanID) error {
	return s.b.WritePlans(ctx, "publish", func(tx PlansTx) error { return publish(ctx, s.Now(), tx, id) })
}

func publish(ctx context.Context, now time.Time, tx PlansTx, id gridplan.PlanID) error {
	st, err := lockPlan(ctx, tx, id)
	if err != nil || st == gridplan.Published {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE plans SET status = 'archived' WHERE status = 'published'`); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE plans SET status = 'published', published_at = $2 WHERE id = $1`, int64(id), tx.Time(now)); err != nil {
		return err
	}
	return tx.PublishedChanged(ctx)
}

// ArchivePlan archives a draft or the published plan (leaving no plan
// published). Archiving an archived plan is a no-op.
func (s *PlanStore) ArchivePlan(ctx context.Context, id gridplan.PlanID) error {
	return s.b.WritePlans(ctx, "archive", func(tx PlansTx) error {
		st, err := lockPlan(ctx, tx, id)
		if err != nil || st == gridplan.Archived {
			return err
		}
		return archive(ctx, tx, id, st == gridplan.Published)
	})
}

// archive archives plan id, published says whether it was the published
// plan.
func archive(ctx context.Context, tx PlansTx, id gridplan.PlanID, published bool) error {
	if _, err := tx.Exec(ctx, `UPDATE plans SET status = 'archived' WHERE id = $1`, int64(id)); err != nil {
		return err
	}
	if published {
		return tx.PublishedChanged(ctx)
	}
	return nil
}

// lockDraft locks plan id's lifecycle, which must be a draft.
func lockDraft(ctx context.Context, tx PlansTx, id gridplan.PlanID) error {
	st, err := lockPlan(ctx, tx, id)
	if err != nil {
		return err
	}
	if st != gridplan.Draft {
		return store.ErrNotDraft(id, st)
	}
	return nil
}

// ReplaceGrids replaces a draft's grids in one transaction; the draft's
// units go with its old grids.
func (s *PlanStore) ReplaceGrids(ctx context.Context, id gridplan.PlanID, grids []gridplan.Grid) error {
	e, err := store.EncodePlan(&gridplan.Plan{ID: id, Name: "grids", Status: gridplan.Draft, Grids: grids}, s.b.EncodeGeom)
	if err != nil {
		return err
	}
	return s.b.WritePlans(ctx, "replace grids", func(tx PlansTx) error {
		if err := lockDraft(ctx, tx, id); err != nil {
			return err
		}
		gridsT, locksT := tx.Tables()
		// New grids: the old units do not describe them (a move derives
		// units from the grids again).
		for _, t := range []string{locksT, gridsT, "plan_units"} {
			if _, err := tx.Exec(ctx, `DELETE FROM `+t+` WHERE plan_id = $1`, int64(id)); err != nil {
				return err
			}
		}
		if err := tx.InsertGrids(ctx, id, grids, e.Blobs); err != nil {
			return err
		}
		if err := insertLocks(ctx, tx, id, grids); err != nil {
			return err
		}
		return tx.TablesChanged(ctx, gridsT)
	})
}

// Multi is decode for a column of multipolygons (a polygon is read as a
// multipolygon of one).
func Multi(decode func([]byte) (orb.Geometry, error)) func([]byte) (orb.MultiPolygon, error) {
	return func(blob []byte) (orb.MultiPolygon, error) {
		g, err := decode(blob)
		if err != nil {
			return nil, err
		}
		switch g := g.(type) {
		case orb.MultiPolygon:
			return g, nil
		case orb.Polygon:
			return orb.MultiPolygon{g}, nil
		}
		return nil, errs.E(errs.Internal, "geom", "stored %s where a multipolygon belongs", g.GeoJSONType())
	}
}

// Point is decode for a column of points.
func Point(decode func([]byte) (orb.Geometry, error)) func([]byte) (orb.Point, error) {
	return func(blob []byte) (orb.Point, error) {
		g, err := decode(blob)
		if err != nil {
			return orb.Point{}, err
		}
		if p, ok := g.(orb.Point); ok {
			return p, nil
		}
		return orb.Point{}, errs.E(errs.Internal, "geom", "stored %s where a point belongs", g.GeoJSONType())
	}
}
