package gpkg

import (
	"context"
	"database/sql"
	"strconv"

	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/store"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// UpsertPatrolPosition records a position report in the history (a replay
// of the same report is recorded once) and moves the unit unless the
// stored position is newer.
func (db *DB) UpsertPatrolPosition(ctx context.Context, p store.PatrolPosition) error {
	if err := p.Validate(); err != nil {
		return err
	}
	blob, err := encodeGeom(p.Loc)
	if err != nil {
		return err
	}
	at := fmtTime(p.At)
	return db.write(ctx, "patrol", func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM patrols WHERE id = ?`, p.ID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return errs.E(errs.NotFound, "id", "no patrol unit %q", p.ID)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO patrol_positions (patrol_id, at, lon, lat, status) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (patrol_id, at) DO NOTHING`, p.ID, at, p.Loc[0], p.Loc[1], string(p.Status)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE patrols SET geom = ?, status = ?, updated_at = ?
			WHERE id = ? AND (updated_at IS NULL OR updated_at < ?)`, blob, string(p.Status), at, p.ID, at)
		return err
	})
}
