package postgis

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/store"
)

// UpsertPatrolPosition records a position report in the history (a replay
// of the same report is recorded once) and moves the unit unless the
// stored position is newer.
func (db *DB) UpsertPatrolPosition(ctx context.Context, p store.PatrolPosition) error {
	if err := p.Validate(); err != nil {
		return err
	}
	at := p.At.UTC().Truncate(1000) // microseconds, as stored
	return db.write(ctx, "patrol", func(tx pgx.Tx) error {
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM patrols WHERE id = $1)`, p.ID).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			return errs.E(errs.NotFound, "id", "no patrol unit %q", p.ID)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO patrol_positions (patrol_id, at, position, status)
			VALUES ($1, $2, ST_SetSRID(ST_MakePoint($3, $4), 4326), $5) ON CONFLICT (patrol_id, at) DO NOTHING`,
			p.ID, at, p.Loc[0], p.Loc[1], string(p.Status)); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE patrols SET position = ST_SetSRID(ST_MakePoint($2, $3), 4326), status = $4, updated_at = $5
			WHERE id = $1 AND (updated_at IS NULL OR updated_at < $5)`, p.ID, p.Loc[0], p.Loc[1], string(p.Status), at)
		return err
	})
}
