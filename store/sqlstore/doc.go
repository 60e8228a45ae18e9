// Package sqlstore is the logic the two SQL store backends (store/gpkg on
// SQLite, store/postgis on PostgreSQL) share: which statements an
// operation runs, in what order, and how their rows become domain values.
// It runs over sqlq.Tx, so it knows neither driver; where the backends'
// SQL differs (geometry encoding, times, upserts, locking), each entity's
// code asks a small dialect interface declared beside it, and each backend
// implements those interfaces with its dialect-specific SQL only.
package sqlstore

// Stores is every store written once here; a backend's DB embeds it with
// each built over the backend's dialects, and writes on DB only what
// stays its own.
type Stores struct {
	PlanStore
	FeatureStore
	CaseStore
	JobStore
	ShiftStore
	UnitStore
	EventStore
}
