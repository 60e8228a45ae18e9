package store

import (
	"context"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/dispatch"
)

// MaxReportBatch is the most position reports one ReportPositions call
// (one POST /units/positions) takes.
const MaxReportBatch = 1000

// MaxTrackPoints bounds one Track answer.
const MaxTrackPoints = 20000

// UnitFilter selects units; zero fields select all.
type UnitFilter struct {
	Kind   dispatch.UnitKind
	Street string
	Status dispatch.UnitStatus // the effective status (busy while holding a case)
	BBox   *orb.Bound          // units whose current position lies in it
}

// Units are the field units — patrols and grid workers, one table in
// every store — with their live position and the history of their
// reports. The bundle import creates them (patrols at home, workers
// without a position); reports move them.
type Units interface {
	// ReportPositions stores a batch in one transaction. Every report
	// goes to the history unless that unit's report at that time is
	// stored already (a replay: Duplicate, stored once); the unit moves
	// to its newest report unless it has a newer one (KeptOlder). The
	// results are in batch order. A batch that fails dispatch.ValidateReports,
	// or names an unknown unit (NotFound, field "[i].unit"), changes
	// nothing.
	ReportPositions(ctx context.Context, rs []dispatch.PositionReport) ([]dispatch.ReportResult, error)
	// Units lists units matching f, by id.
	Units(ctx context.Context, f UnitFilter) ([]dispatch.Unit, error)
	// Unit returns one unit (NotFound naming "id").
	Unit(ctx context.Context, id string) (dispatch.Unit, error)
	// Track returns the unit's reports with from <= at <= to, oldest
	// first, at most MaxTrackPoints (NotFound for an unknown unit).
	Track(ctx context.Context, id string, from, to time.Time) ([]dispatch.TrackPoint, error)
}

// UnitRow is a unit as the bundle import writes it.
type UnitRow struct {
	ID        string
	Kind      dispatch.UnitKind
	Name      string
	Street    string
	Community string
	Home      *orb.Point // patrols: the bundle's position; workers: none
}

// UnitRows are b's units: its patrols, then its workers (their street is
// their community's), each list by id as the bundle has them.
func UnitRows(b *bundle.Bundle) []UnitRow {
	street := make(map[bundle.CommunityCode]bundle.StreetCode, len(b.Communities))
	for _, c := range b.Communities {
		street[c.Code] = c.Street
	}
	out := make([]UnitRow, 0, len(b.Patrols)+len(b.Workers))
	for _, p := range b.Patrols {
		home := p.Loc
		out = append(out, UnitRow{ID: p.ID, Kind: dispatch.KindPatrol, Name: p.Callsign, Street: string(p.Street), Home: &home})
	}
	for _, w := range b.Workers {
		out = append(out, UnitRow{ID: w.ID, Kind: dispatch.KindWorker, Name: w.Name, Street: string(street[w.Community]), Community: string(w.Community)})
	}
	return out
}

// Outcomes works out a batch's results in batch order. inserted[i] says
// report i went into the history (false: its (unit, at) was stored
// before, or earlier in the batch); prev is each unit's reported_at
// before the batch (zero: never). A report moves its unit when it is
// the newest inserted report of the unit in the batch and newer than
// prev.
func Outcomes(rs []dispatch.PositionReport, inserted []bool, prev map[string]time.Time) []dispatch.ReportResult {
	newest := map[string]int{}
	for i, r := range rs {
		if !inserted[i] {
			continue
		}
		if j, ok := newest[r.Unit]; !ok || r.At.After(rs[j].At) {
			newest[r.Unit] = i
		}
	}
	out := make([]dispatch.ReportResult, len(rs))
	for i, r := range rs {
		res := dispatch.ReportResult{Unit: r.Unit, At: r.At, Outcome: dispatch.KeptOlder}
		switch {
		case !inserted[i]:
			res.Outcome = dispatch.Duplicate
		case newest[r.Unit] == i && r.At.After(prev[r.Unit]):
			res.Outcome = dispatch.Moved
		}
		out[i] = res
	}
	return out
}

// ReportTime is a report's time as both stores keep it: UTC, to the
// microsecond (PostgreSQL's precision), so a replay compares equal.
func ReportTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// PrepareReports checks a batch a store is asked to write
// (dispatch.ValidateReports, at most MaxReportBatch) and returns it with
// times as stored (NormaliseReports).
func PrepareReports(rs []dispatch.PositionReport) ([]dispatch.PositionReport, error) {
	if err := dispatch.ValidateReports(rs, MaxReportBatch); err != nil {
		return nil, err
	}
	return NormaliseReports(rs), nil
}

// NormaliseReports returns the batch with times as stored.
func NormaliseReports(rs []dispatch.PositionReport) []dispatch.PositionReport {
	out := make([]dispatch.PositionReport, len(rs))
	for i, r := range rs {
		r.At = ReportTime(r.At)
		out[i] = r
	}
	return out
}

// InBBox reports whether p lies in b (nil: everywhere).
func InBBox(b *orb.Bound, p *orb.Point) bool {
	if b == nil {
		return true
	}
	return p != nil && b.Contains(*p)
}
