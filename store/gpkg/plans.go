package gpkg

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"
	"time"

	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/store"
)

// CreatePlan stores p as a new draft with its grids. It checks the plan's
// own fields only: plans from outside enter through Import, which
// validates them against the bundle.
func (db *DB) CreatePlan(ctx context.Context, p *gridplan.Plan) (gridplan.PlanID, error) {
	e, err := store.EncodePlan(p, encodeGeom)
	if err != nil {
		return 0, err
	}
	if err := store.CheckPlanUnits(p); err != nil {
		return 0, err
	}
	var id gridplan.PlanID
	err = db.write(ctx, "plan", func(tx *sql.Tx) (err error) {
		id, err = insertPlan(ctx, db.now(), tx, p, e)
		return err
	})
	if err != nil {
		return 0, err
	}
	return id, nil
}

// insertPlan inserts p as a draft in tx and returns its id.
func insertPlan(ctx context.Context, now time.Time, tx *sql.Tx, p *gridplan.Plan, e store.EncodedPlan) (gridplan.PlanID, error) {
	var parent any
	if p.Parent != 0 {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM plans WHERE id = ?`, int64(p.Parent)).Scan(&n); err != nil {
			return 0, err
		}
		if n == 0 {
			return 0, errs.E(errs.Invalid, "parent", "parent plan %d does not exist", p.Parent)
		}
		parent = int64(p.Parent)
	}
	var id gridplan.PlanID
	err := tx.QueryRowContext(ctx, `INSERT INTO plans (name, status, parent, params, report, created_at)
		VALUES (?, 'draft', ?, ?, ?, ?) RETURNING id`,
		strings.TrimSpace(p.Name), parent, string(e.Params), e.Report, fmtTime(now)).Scan(&id)
	if err != nil {
		return 0, err
	}
	st, err := tx.PrepareContext(ctx, `INSERT INTO plan_grids (plan_id, code, community_code, street_code, kind, households, target, geom)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return 0, err
	}
	defer st.Close()
	for i, g := range p.Grids {
		if _, err := st.ExecContext(ctx, int64(id), string(g.Code), string(g.Community), string(g.Street), string(g.Kind), g.Households, g.Target, e.Blobs[i]); err != nil {
			return 0, err
		}
	}
	if err := writeLocks(ctx, tx, id, p.Grids); err != nil {
		return 0, err
	}
	if err := writeUnits(ctx, tx, id, p.Units); err != nil {
		return 0, err
	}
	return id, updateExtents(ctx, tx, "plan_grids")
}

const planCols = `id, name, status, coalesce(parent, 0), params, report, created_at, published_at`

func scanPlan(row interface{ Scan(...any) error }, p *gridplan.Plan) error {
	var params string
	var report, published sql.NullString
	var created string
	if err := row.Scan(&p.ID, &p.Name, &p.Status, &p.Parent, &params, &report, &created, &published); err != nil {
		return err
	}
	if err := json.Unmarshal([]byte(params), &p.Params); err != nil {
		return err
	}
	if report.Valid {
		p.Report = json.RawMessage(report.String)
	}
	var err error
	if p.CreatedAt, err = parseTime(created); err != nil {
		return err
	}
	if published.Valid {
		if p.PublishedAt, err = parseTime(published.String); err != nil {
			return err
		}
	}
	return nil
}

// Plan returns a plan with its grids.
func (db *DB) Plan(ctx context.Context, id gridplan.PlanID) (*gridplan.Plan, error) {
	return db.plan(ctx, `SELECT `+planCols+` FROM plans WHERE id = ?`, int64(id))
}

// PublishedPlan returns the published plan with its grids.
func (db *DB) PublishedPlan(ctx context.Context) (*gridplan.Plan, error) {
	return db.plan(ctx, `SELECT `+planCols+` FROM plans WHERE status = 'published'`)
}

func (db *DB) plan(ctx context.Context, query string, args ...any) (*gridplan.Plan, error) {
	var p *gridplan.Plan
	err := db.read(ctx, func(tx *sql.Tx) (err error) {
		p, err = readPlan(ctx, tx, query, args...)
		return err
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// readPlan reads the plan query selects, with its grids, in tx.
func readPlan(ctx context.Context, tx *sql.Tx, query string, args ...any) (*gridplan.Plan, error) {
	var p gridplan.Plan
	err := func() error {
		err := scanPlan(tx.QueryRowContext(ctx, query, args...), &p)
		if err == sql.ErrNoRows {
			if len(args) == 0 {
				return errs.E(errs.NotFound, "plan", "no plan is published")
			}
			return errs.E(errs.NotFound, "plan", "plan %v does not exist", args[0])
		}
		if err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT code, community_code, street_code, kind, households, target, geom
			FROM plan_grids WHERE plan_id = ? ORDER BY code`, int64(p.ID))
		if err != nil {
			return err
		}
		defer rows.Close()
		p.Grids, err = store.ScanGrids(rows, decodeMulti)
		if err != nil {
			return err
		}
		rows.Close()
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
	err := db.read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT p.id, p.name, p.status, coalesce(p.parent, 0), p.report, p.created_at, p.published_at,
				(SELECT count(*) FROM plan_grids g WHERE g.plan_id = p.id),
				(SELECT coalesce(sum(households), 0) FROM plan_grids g WHERE g.plan_id = p.id)
			FROM plans p ORDER BY p.created_at DESC, p.id DESC`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var s gridplan.Summary
			var report, published sql.NullString
			var created string
			if err := rows.Scan(&s.ID, &s.Name, &s.Status, &s.Parent, &report, &created, &published, &s.Grids, &s.Households); err != nil {
				return err
			}
			if report.Valid {
				s.Report = json.RawMessage(report.String)
			}
			if s.CreatedAt, err = parseTime(created); err != nil {
				return err
			}
			if published.Valid {
				if s.PublishedAt, err = parseTime(published.String); err != nil {
					return err
				}
			}
			out = append(out, s)
		}
		return rows.Err()
	})
	return out, err
}

func planStatus(ctx context.Context, tx *sql.Tx, id gridplan.PlanID) (gridplan.Status, error) {
	var st gridplan.Status
	err := tx.QueryRowContext(ctx, `SELECT status FROM plans WHERE id = ?`, int64(id)).Scan(&st)
	if err == sql.ErrNoRows {
		return "", errs.E(errs.NotFound, "plan", "plan %d does not exist", id)
	}
	return st, err
}

// PublishPlan makes a draft or an archived plan (a rollback) the
// published plan and archives the one published before, in one
// transaction; it also refreshes the grids feature table. Publishing the
// published plan again is a no-op.
func (db *DB) PublishPlan(ctx context.Context, id gridplan.PlanID) error {
	return db.write(ctx, "publish", func(tx *sql.Tx) error { return publish(ctx, db.now(), tx, id) })
}

func publish(ctx context.Context, now time.Time, tx *sql.Tx, id gridplan.PlanID) error {
	st, err := planStatus(ctx, tx, id)
	if err != nil || st == gridplan.Published {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE plans SET status = 'archived' WHERE status = 'published'`); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE plans SET status = 'published', published_at = ? WHERE id = ?`, fmtTime(now), int64(id)); err != nil {
		return err
	}
	return refreshGrids(ctx, tx)
}

// refreshGrids copies the published plan's grids into the grids table.
func refreshGrids(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM grids`); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO grids (plan_id, code, community_code, street_code, kind, households, target, geom)
		SELECT g.plan_id, g.code, g.community_code, g.street_code, g.kind, g.households, g.target, g.geom
		FROM plan_grids g JOIN plans p ON p.id = g.plan_id WHERE p.status = 'published' ORDER BY g.code`)
	if err != nil {
		return err
	}
	return updateExtents(ctx, tx, "grids")
}

// ArchivePlan archives a draft or the published plan (leaving no plan
// published). Archiving an archived plan is a no-op.
func (db *DB) ArchivePlan(ctx context.Context, id gridplan.PlanID) error {
	return db.write(ctx, "archive", func(tx *sql.Tx) error {
		st, err := planStatus(ctx, tx, id)
		if err != nil || st == gridplan.Archived {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE plans SET status = 'archived' WHERE id = ?`, int64(id)); err != nil {
			return err
		}
		if st == gridplan.Published {
			return refreshGrids(ctx, tx)
		}
		return nil
	})
}

// ReplaceGrids replaces a draft's grids in one transaction; the draft's
// units go with its old grids.
func (db *DB) ReplaceGrids(ctx context.Context, id gridplan.PlanID, grids []gridplan.Grid) error {
	e, err := store.EncodePlan(&gridplan.Plan{ID: id, Name: "grids", Status: gridplan.Draft, Grids: grids}, encodeGeom)
	if err != nil {
		return err
	}
	return db.write(ctx, "replace grids", func(tx *sql.Tx) error {
		st, err := planStatus(ctx, tx, id)
		if err != nil {
			return err
		}
		if st != gridplan.Draft {
			return store.ErrNotDraft(id, st)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM plan_grids WHERE plan_id = ?`, int64(id)); err != nil {
			return err
		}
		// New grids: the old units do not describe them (a move derives
		// units from the grids again).
		if _, err := tx.ExecContext(ctx, `DELETE FROM plan_units WHERE plan_id = ?`, int64(id)); err != nil {
			return err
		}
		ins, err := tx.PrepareContext(ctx, `INSERT INTO plan_grids (plan_id, code, community_code, street_code, kind, households, target, geom)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer ins.Close()
		for i, g := range grids {
			if _, err := ins.ExecContext(ctx, int64(id), string(g.Code), string(g.Community), string(g.Street), string(g.Kind), g.Households, g.Target, e.Blobs[i]); err != nil {
				return err
			}
		}
		if err := writeLocks(ctx, tx, id, grids); err != nil {
			return err
		}
		return updateExtents(ctx, tx, "plan_grids")
	})
}
