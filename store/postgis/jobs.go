package postgis

import (
	"github.com/gridd/gridd/jobs"
	"github.com/gridd/gridd/store/sqlstore"
)

var _ jobs.Store = (*DB)(nil)

// jobsDialect is the PostgreSQL dialect of the jobs' SQL: JSON is jsonb,
// bound and read as text, and UpdateJob locks the row it decides on.
type jobsDialect struct{ whereDialect }

func (jobsDialect) JSONArg(p string) string    { return p + "::jsonb" }
func (jobsDialect) JSONText(col string) string { return col + "::text" }
func (jobsDialect) ForUpdate() string          { return " FOR UPDATE" }

func (db *DB) jobs() sqlstore.JobStore {
	return sqlstore.JobStore{Run: sqlRunner{db}, D: jobsDialect{}}
}
