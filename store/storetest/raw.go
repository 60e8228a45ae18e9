package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/dispatch"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/store"
	"github.com/gridd/gridd/store/sqlq"
)

// Raw is a SQL store's database seen past the store: statements run as
// written ($n placeholders, outside any transaction of the store's) and
// Wrap classifies their errors as the store does.
type Raw struct {
	DB   sqlq.Tx
	Wrap func(err error) error
	// Columns is the query of a table's columns ($1: its name) as rows
	// of name and SQL type; Kind tells what a type is.
	Columns string
	Kind    func(sqlType string) Column
	// Internal are the columns of a layer's table that are not served
	// properties (its geometry, the backend's bookkeeping).
	Internal func(l store.Layer) []string
}

// Column is what a layer check knows of a column's SQL type.
type Column struct {
	Int bool
	// DateTime is whether the column is a date-time, where the database
	// tells (TimeKnown; a GeoPackage keeps times as text).
	DateTime, TimeKnown bool
}

// RunRaw runs the checks of a SQL store that need its database: open
// returns a new, empty store and its database; the store is closed by
// RunRaw.
func RunRaw(t *testing.T, open func(t *testing.T) (store.Store, Raw)) {
	fresh := func(t *testing.T) (store.Store, Raw) {
		s, raw := open(t)
		t.Cleanup(func() { s.Close() })
		return s, raw
	}
	t.Run("OnePublishedByDatabase", func(t *testing.T) { testOnePublishedByDatabase(t, fresh) })
	t.Run("PatrolHistory", func(t *testing.T) { testPatrolHistory(t, fresh) })
	t.Run("TablesMatchDescriptions", func(t *testing.T) { testTablesMatchDescriptions(t, fresh) })
}

// testOnePublishedByDatabase: even SQL that bypasses the store cannot
// publish a second plan.
func testOnePublishedByDatabase(t *testing.T, open func(t *testing.T) (store.Store, Raw)) {
	_, raw := open(t)
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		if _, err := raw.DB.Exec(ctx, `INSERT INTO plans (name, status, params, created_at) VALUES ('p', 'draft', '{}', CURRENT_TIMESTAMP)`); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := raw.DB.Exec(ctx, `UPDATE plans SET status = 'published' WHERE id = 1`); err != nil {
		t.Fatal(err)
	}
	_, err := raw.DB.Exec(ctx, `UPDATE plans SET status = 'published' WHERE id = 2`)
	if !errs.Is(raw.Wrap(err), errs.Conflict) {
		t.Fatalf("second published plan: %v, want a unique violation (Conflict)", err)
	}
}

// testPatrolHistory: every distinct report is kept once, older ones too.
func testPatrolHistory(t *testing.T, open func(t *testing.T) (store.Store, Raw)) {
	s, raw := open(t)
	ctx := context.Background()
	b := SmallBundle(1)
	if err := s.ImportBundle(ctx, b); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	for _, at := range []time.Time{t0.Add(time.Minute), t0.Add(time.Minute), t0} { // report, replay, older
		p := dispatch.PositionReport{Unit: b.Patrols[0].ID, Loc: orb.Point{118.61, 32.02}, Status: dispatch.StatusBusy, At: at}
		if _, err := s.ReportPositions(ctx, []dispatch.PositionReport{p}); err != nil {
			t.Fatal(err)
		}
	}
	var n int
	if err := raw.DB.QueryRow(ctx, `SELECT count(*) FROM unit_positions WHERE unit_id = $1`, b.Patrols[0].ID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Fatalf("%d history rows, want 2 (the replay collapses, the older report is kept)", n)
	}
}

// testTablesMatchDescriptions: every described property of a layer is a
// column of its table with the described type, and every other column is
// named as internal (so a column added without describing it fails too).
func testTablesMatchDescriptions(t *testing.T, open func(t *testing.T) (store.Store, Raw)) {
	_, raw := open(t)
	for _, d := range store.Descriptions {
		t.Run(string(d.Layer), func(t *testing.T) {
			cols := map[string]Column{}
			err := sqlq.Each(context.Background(), raw.DB, func(r sqlq.Row) error {
				var name, typ string
				err := r.Scan(&name, &typ)
				cols[name] = raw.Kind(typ)
				return err
			}, raw.Columns, string(d.Layer))
			if err != nil {
				t.Fatal(err)
			}
			if len(cols) == 0 {
				t.Fatalf("no table %s", d.Layer)
			}
			for _, p := range d.Props {
				c, ok := cols[p.Name]
				if !ok {
					t.Errorf("described property %s is not a column", p.Name)
					continue
				}
				rowID := d.RowID && p.Name == d.ID // an integer row id, served as a text id
				if (c.Int != p.Int && !rowID) || (c.TimeKnown && c.DateTime != p.DateTime) {
					t.Errorf("column %s is %+v, described integer=%v date-time=%v", p.Name, c, p.Int, p.DateTime)
				}
				delete(cols, p.Name)
			}
			for name := range cols {
				if !slices.Contains(raw.Internal(d.Layer), name) {
					t.Errorf("column %s is not described", name)
				}
			}
		})
	}
}
