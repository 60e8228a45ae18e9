package gpkg

import (
	"context"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/cases"
	"github.com/gridd/gridd/store/sqlq"
	"github.com/gridd/gridd/store/sqlstore"
)

var _ cases.Store = (*DB)(nil)

// casesDialect is the SQLite dialect of the cases' SQL: points are the
// lon and lat columns, writes are serialised on the one writer connection
// (so nothing needs locking), and open cases near a point are narrowed by
// a lon/lat box (the flow checks the distance).
type casesDialect struct{ whereDialect }

func (casesDialect) PointXY() (x, y string) { return "lon", "lat" }
func (casesDialect) InsertPoint(x, y string) (cols, vals string) {
	return "lon, lat", x + ", " + y
}
func (casesDialect) SetPoint(x, y string) string                   { return "lon = " + x + ", lat = " + y }
func (casesDialect) ForUpdate() string                             { return "" }
func (casesDialect) Lock(context.Context, sqlq.Tx, []string) error { return nil }

func (casesDialect) NearCases(category string, p orb.Point, radiusM float64, since time.Time) (string, []any) {
	dLon, dLat := sqlstore.NearMargins(p, radiusM)
	return `category = $1 AND stage IN ('reported', 'filed', 'dispatched', 'handling', 'resolved') AND reported_at >= $2
		  AND lat BETWEEN $3 AND $4 AND lon BETWEEN $5 AND $6`,
		[]any{category, fmtTime(since), p[1] - dLat, p[1] + dLat, p[0] - dLon, p[0] + dLon}
}

func (db *DB) cases() sqlstore.CaseStore {
	return sqlstore.CaseStore{Run: sqlRunner{db}, D: casesDialect{}}
}

// Intake stores an incident (or finds the stored one) and attaches it to a
// case, in one transaction.
func (db *DB) Intake(ctx context.Context, in *cases.Incident, cat cases.Category, now time.Time) (cases.Incident, bool, error) {
	return db.cases().Intake(ctx, in, cat, now)
}

// LocateIncident locates a queued incident and attaches it to a case.
func (db *DB) LocateIncident(ctx context.Context, id cases.IncidentID, loc cases.Location, cat cases.Category, now time.Time) (cases.Incident, error) {
	return db.cases().LocateIncident(ctx, id, loc, cat, now)
}

// UnlinkIncident takes a duplicate off its case and opens its own.
func (db *DB) UnlinkIncident(ctx context.Context, id cases.IncidentID, cat cases.Category, actor string, now time.Time) (cases.Incident, error) {
	return db.cases().UnlinkIncident(ctx, id, cat, actor, now)
}

// Transition moves a case and appends its event in one transaction.
func (db *DB) Transition(ctx context.Context, id cases.CaseID, apply func(cases.Case) (cases.Case, cases.Event, error)) (cases.Case, error) {
	return db.cases().Transition(ctx, id, apply)
}

// Incident reads one incident.
func (db *DB) Incident(ctx context.Context, id cases.IncidentID) (cases.Incident, error) {
	return db.cases().Incident(ctx, id)
}

// Incidents lists incidents by id.
func (db *DB) Incidents(ctx context.Context, f cases.IncidentFilter) ([]cases.Incident, error) {
	return db.cases().Incidents(ctx, f)
}

// Case reads a case with its incidents and events.
func (db *DB) Case(ctx context.Context, id cases.CaseID) (cases.Case, error) {
	return db.cases().Case(ctx, id)
}

// Cases lists cases by id and counts the match.
func (db *DB) Cases(ctx context.Context, f cases.CaseFilter) ([]cases.Case, int, error) {
	return db.cases().Cases(ctx, f)
}

// EscalationsDue lists the open cases the escalation loop must escalate.
func (db *DB) EscalationsDue(ctx context.Context, now time.Time, limit int) ([]cases.CaseID, error) {
	return db.cases().EscalationsDue(ctx, now, limit)
}
