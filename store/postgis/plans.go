package postgis

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/store"
)

// planLock serialises lifecycle changes (publish, archive) so that two
// concurrent publishes cannot both archive "the previous" plan; the
// partial unique index is the backstop.
const planLock = 0x706c616e73

// CreatePlan stores p as a new draft with its grids (COPY). It checks the
// plan's own fields only: plans from outside enter through Import, which
// validates them against the bundle.
func (db *DB) CreatePlan(ctx context.Context, p *gridplan.Plan) (gridplan.PlanID, error) {
	e, err := store.EncodePlan(p, geomBytes)
	if err != nil {
		return 0, err
	}
	if err := store.CheckPlanUnits(p); err != nil {
		return 0, err
	}
	var id gridplan.PlanID
	err = db.write(ctx, "plan", func(tx pgx.Tx) (err error) {
		id, err = insertPlan(ctx, db.now(), tx, p, e)
		return err
	})
	if err != nil {
		return 0, err
	}
	return id, nil
}

// insertPlan inserts p as a draft in tx and returns its id.
func insertPlan(ctx context.Context, now time.Time, tx pgx.Tx, p *gridplan.Plan, e store.EncodedPlan) (gridplan.PlanID, error) {
	var parent *int64
	if p.Parent != 0 {
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM plans WHERE id = $1)`, int64(p.Parent)).Scan(&exists); err != nil {
			return 0, err
		}
		if !exists {
			return 0, errs.E(errs.Invalid, "parent", "parent plan %d does not exist", p.Parent)
		}
		v := int64(p.Parent)
		parent = &v
	}
	var id gridplan.PlanID
	err := tx.QueryRow(ctx, `INSERT INTO plans (name, status, parent, params, report, created_at)
		VALUES ($1, 'draft', $2, $3::jsonb, $4::jsonb, $5) RETURNING id`,
		strings.TrimSpace(p.Name), parent, string(e.Params), e.Report, now).Scan(&id)
	if err != nil {
		return 0, err
	}
	_, err = tx.CopyFrom(ctx, pgx.Identifier{"grids"},
		[]string{"plan_id", "code", "community_code", "street_code", "kind", "households", "target", "geom"},
		pgx.CopyFromSlice(len(p.Grids), func(i int) ([]any, error) {
			g := p.Grids[i]
			return []any{int64(id), string(g.Code), string(g.Community), string(g.Street), string(g.Kind),
				int32(g.Households), int32(g.Target), e.Blobs[i]}, nil
		}))
	if err != nil {
		return 0, err
	}
	if err := writeUnits(ctx, tx, id, p.Units); err != nil {
		return 0, err
	}
	return id, writeLocks(ctx, tx, id, p.Grids)
}

const planCols = `id, name, status, coalesce(parent, 0), params, report, created_at, published_at`

func scanPlan(row pgx.Row, p *gridplan.Plan) error {
	var params, report []byte
	var published *time.Time
	if err := row.Scan(&p.ID, &p.Name, &p.Status, &p.Parent, &params, &report, &p.CreatedAt, &published); err != nil {
		return err
	}
	if err := json.Unmarshal(params, &p.Params); err != nil {
		return err
	}
	if report != nil {
		p.Report = json.RawMessage(report)
	}
	p.CreatedAt = p.CreatedAt.UTC()
	if published != nil {
		p.PublishedAt = published.UTC()
	}
	return nil
}

// Plan returns a plan with its grids.
func (db *DB) Plan(ctx context.Context, id gridplan.PlanID) (*gridplan.Plan, error) {
	return db.plan(ctx, `SELECT `+planCols+` FROM plans WHERE id = $1`, int64(id))
}

// PublishedPlan returns the published plan with its grids.
func (db *DB) PublishedPlan(ctx context.Context) (*gridplan.Plan, error) {
	return db.plan(ctx, `SELECT `+planCols+` FROM plans WHERE status = 'published'`)
}

func (db *DB) plan(ctx context.Context, query string, args ...any) (*gridplan.Plan, error) {
	var p *gridplan.Plan
	err := db.read(ctx, func(tx pgx.Tx) (err error) {
		p, err = readPlan(ctx, tx, query, args...)
		return err
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// readPlan reads the plan query selects, with its grids, in tx.
func readPlan(ctx context.Context, tx pgx.Tx, query string, args ...any) (*gridplan.Plan, error) {
	var p gridplan.Plan
	err := func() error {
		err := scanPlan(tx.QueryRow(ctx, query, args...), &p)
		if errors.Is(err, pgx.ErrNoRows) {
			if len(args) == 0 {
				return errs.E(errs.NotFound, "plan", "no plan is published")
			}
			return errs.E(errs.NotFound, "plan", "plan %v does not exist", args[0])
		}
		if err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT code, community_code, street_code, kind, households, target, ST_AsBinary(geom)
			FROM grids WHERE plan_id = $1 ORDER BY code`, int64(p.ID))
		if err != nil {
			return err
		}
		defer rows.Close()
		p.Grids, err = store.ScanGrids(rows, decodeMulti)
		if err != nil {
			return err
		}
		return readLocks(ctx, tx, p.ID, p.Grids)
	}()
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// Plans lists all plans, newest first.
func (db *DB) Plans(ctx context.Context) ([]gridplan.Summary, error) {
	var out []gridplan.Summary
	err := db.read(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT p.id, p.name, p.status, coalesce(p.parent, 0), p.report, p.created_at, p.published_at,
				coalesce(g.n, 0), coalesce(g.hh, 0)
			FROM plans p LEFT JOIN (SELECT plan_id, count(*) AS n, sum(households) AS hh FROM grids GROUP BY plan_id) g ON g.plan_id = p.id
			ORDER BY p.created_at DESC, p.id DESC`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var s gridplan.Summary
			var report []byte
			var published *time.Time
			var n, hh int64
			if err := rows.Scan(&s.ID, &s.Name, &s.Status, &s.Parent, &report, &s.CreatedAt, &published, &n, &hh); err != nil {
				return err
			}
			s.Grids, s.Households = int(n), int(hh)
			if report != nil {
				s.Report = json.RawMessage(report)
			}
			s.CreatedAt = s.CreatedAt.UTC()
			if published != nil {
				s.PublishedAt = published.UTC()
			}
			out = append(out, s)
		}
		return rows.Err()
	})
	return out, err
}

func lockPlan(ctx context.Context, tx pgx.Tx, id gridplan.PlanID) (gridplan.Status, error) {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(planLock)); err != nil {
		return "", err
	}
	var st gridplan.Status
	err := tx.QueryRow(ctx, `SELECT status FROM plans WHERE id = $1 FOR UPDATE`, int64(id)).Scan(&st)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", errs.E(errs.NotFound, "plan", "plan %d does not exist", id)
	}
	return st, err
}

// PublishPlan makes a draft or an archived plan (a rollback) the
// published plan and archives the one published before, in one
// transaction. Publishing the published plan again is a no-op.
func (db *DB) PublishPlan(ctx context.Context, id gridplan.PlanID) error {
	return db.write(ctx, "publish", func(tx pgx.Tx) error { return publish(ctx, db.now(), tx, id) })
}

func publish(ctx context.Context, now time.Time, tx pgx.Tx, id gridplan.PlanID) error {
	st, err := lockPlan(ctx, tx, id)
	if err != nil || st == gridplan.Published {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE plans SET status = 'archived' WHERE status = 'published'`); err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `UPDATE plans SET status = 'published', published_at = $2 WHERE id = $1`, int64(id), now)
	return err
}

// ArchivePlan archives a draft or the published plan (leaving no plan
// published). Archiving an archived plan is a no-op.
func (db *DB) ArchivePlan(ctx context.Context, id gridplan.PlanID) error {
	return db.write(ctx, "archive", func(tx pgx.Tx) error {
		st, err := lockPlan(ctx, tx, id)
		if err != nil || st == gridplan.Archived {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE plans SET status = 'archived' WHERE id = $1`, int64(id))
		return err
	})
}

// ReplaceGrids replaces a draft's grids in one transaction (COPY); the
// draft's units go with its old grids.
func (db *DB) ReplaceGrids(ctx context.Context, id gridplan.PlanID, grids []gridplan.Grid) error {
	e, err := store.EncodePlan(&gridplan.Plan{ID: id, Name: "grids", Status: gridplan.Draft, Grids: grids}, geomBytes)
	if err != nil {
		return err
	}
	return db.write(ctx, "replace grids", func(tx pgx.Tx) error {
		st, err := lockPlan(ctx, tx, id)
		if err != nil {
			return err
		}
		if st != gridplan.Draft {
			return store.ErrNotDraft(id, st)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM grids WHERE plan_id = $1`, int64(id)); err != nil {
			return err
		}
		// New grids: the old units do not describe them (a move derives
		// units from the grids again).
		if _, err := tx.Exec(ctx, `DELETE FROM plan_units WHERE plan_id = $1`, int64(id)); err != nil {
			return err
		}
		_, err = tx.CopyFrom(ctx, pgx.Identifier{"grids"},
			[]string{"plan_id", "code", "community_code", "street_code", "kind", "households", "target", "geom"},
			pgx.CopyFromSlice(len(grids), func(i int) ([]any, error) {
				g := grids[i]
				return []any{int64(id), string(g.Code), string(g.Community), string(g.Street), string(g.Kind),
					int32(g.Households), int32(g.Target), e.Blobs[i]}, nil
			}))
		if err != nil {
			return err
		}
		return writeLocks(ctx, tx, id, grids)
	})
}

func errNoPlan(id gridplan.PlanID) error {
	return errs.E(errs.NotFound, "plan", "plan %d does not exist", id)
}

func isNoRows(err error) bool { return errors.Is(err, pgx.ErrNoRows) }
