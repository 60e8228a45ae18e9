package gpkg

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gridd/gridd/store"
	"github.com/gridd/gridd/store/sqlq"
	"github.com/gridd/gridd/store/storetest"
)

func openTemp(t *testing.T) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "gridd.gpkg"))
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openTemp(t) })
}

// TestRaw runs the checks that need SQL past the store.
func TestRaw(t *testing.T) {
	storetest.RunRaw(t, func(t *testing.T) (store.Store, storetest.Raw) {
		db := openTemp(t)
		return db, storetest.Raw{
			DB:       sqlq.Std(db.wr),
			Wrap:     func(err error) error { return wrapErr(context.Background(), err) },
			Columns:  `SELECT name, type FROM pragma_table_info($1)`,
			Kind:     func(typ string) storetest.Column { return storetest.Column{Int: strings.EqualFold(typ, "INTEGER")} },
			Internal: func(l store.Layer) []string { return append([]string{"fid", "geom"}, notProperties[l]...) },
		}
	})
}

// notProperties are the columns of a layer table that are not served
// properties besides GeoPackage's feature id and the geometry: a patrol's
// home. Cases and incidents keep more than GIS tools are served (costs,
// the reporter, media, routing JSON); their points are lon/lat columns
// too.
var notProperties = map[store.Layer][]string{store.Patrols: {"home_lon", "home_lat"},
	store.Cases:     {"cost_yuan", "spot_check", "escalate_at", "lon", "lat"},
	store.Incidents: {"description", "reporter", "media", "submitter", "located", "duplicate", "score", "routing", "lon", "lat"}}

func TestMain(m *testing.M) {
	storetest.KillChildMain(func(ctx context.Context, path string) (storetest.Hooked, error) { return Open(ctx, path) })
	os.Exit(m.Run())
}

// TestImportKilledAtSteps: a process killed (SIGKILL) at each step of the
// import transaction leaves the file holding the old state.
func TestImportKilledAtSteps(t *testing.T) {
	storetest.KillAtSteps(t, filepath.Join(t.TempDir(), "kill.gpkg"), func(ctx context.Context, path string) (storetest.Hooked, error) {
		return Open(ctx, path)
	})
}
