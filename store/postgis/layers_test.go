package postgis

import (
	"context"
	"slices"
	"testing"

	"github.com/gridd/gridd/store"
)

// notProperties are the columns of a layer table that are not served
// properties besides its geometry column: a patrol's home.
// Cases and incidents keep more than GIS tools are served (costs, the
// reporter, media, routing JSON).
var notProperties = map[store.Layer][]string{store.Patrols: {"home"},
	store.Cases:     {"cost_yuan", "spot_check", "escalate_at"},
	store.Incidents: {"description", "reporter", "media", "submitter", "located", "duplicate", "score", "routing"}}

// TestTablesMatchDescriptions: every described property of a layer is a
// column of its table with the described type, and every other column is
// named as internal (so a column added without describing it fails too).
func TestTablesMatchDescriptions(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	for _, d := range store.Descriptions {
		t.Run(string(d.Layer), func(t *testing.T) {
			rows, err := db.pool.Query(ctx, `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1`, string(d.Layer))
			if err != nil {
				t.Fatal(err)
			}
			cols := map[string]string{}
			for rows.Next() {
				var name, typ string
				if err := rows.Scan(&name, &typ); err != nil {
					t.Fatal(err)
				}
				cols[name] = typ
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			if len(cols) == 0 {
				t.Fatalf("no table %s", d.Layer)
			}
			for _, p := range d.Props {
				typ, ok := cols[p.Name]
				if !ok {
					t.Errorf("described property %s is not a column", p.Name)
					continue
				}
				isInt := typ == "integer" || typ == "bigint"
				isTime := typ == "timestamp with time zone"
				rowID := d.RowID && p.Name == d.ID // an integer row id, served as a text id
				if (isInt != p.Int && !rowID) || isTime != p.DateTime {
					t.Errorf("column %s is %s, described integer=%v date-time=%v", p.Name, typ, p.Int, p.DateTime)
				}
				delete(cols, p.Name)
			}
			for name := range cols {
				if name != geomColumn(d.Layer) && !slices.Contains(notProperties[d.Layer], name) {
					t.Errorf("column %s is not described", name)
				}
			}
		})
	}
}
