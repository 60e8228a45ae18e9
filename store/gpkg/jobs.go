package gpkg

import (
	"github.com/gridd/gridd/jobs"
	"github.com/gridd/gridd/store/sqlstore"
)

var _ jobs.Store = (*DB)(nil)

// jobsDialect is the SQLite dialect of the jobs' SQL: JSON is text, and
// the one writer connection serialises the writes.
type jobsDialect struct{ whereDialect }

func (jobsDialect) JSONArg(p string) string    { return p }
func (jobsDialect) JSONText(col string) string { return col }
func (jobsDialect) ForUpdate() string          { return "" }

func (db *DB) jobs() sqlstore.JobStore {
	return sqlstore.JobStore{Run: sqlRunner{db}, D: jobsDialect{}}
}
