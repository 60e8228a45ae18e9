package gpkg

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/gridd/gridd/store"
)

// notProperties are the columns of a layer table that are not served
// properties: GeoPackage's feature id, the geometry, a patrol's home.
// Cases and incidents keep more than GIS tools are served (costs, the
// reporter, media, routing JSON); their points are lon/lat columns too.
var notProperties = map[store.Layer][]string{store.Patrols: {"home_lon", "home_lat"},
	store.Cases:     {"cost_yuan", "spot_check", "escalate_at", "lon", "lat"},
	store.Incidents: {"description", "reporter", "media", "submitter", "located", "duplicate", "score", "routing", "lon", "lat"}}

// TestTablesMatchDescriptions: every described property of a layer is a
// column of its table with the described type, and every other column is
// named as internal (so a column added without describing it fails too).
func TestTablesMatchDescriptions(t *testing.T) {
	db := openTemp(t)
	ctx := context.Background()
	for _, d := range store.Descriptions {
		t.Run(string(d.Layer), func(t *testing.T) {
			rows, err := db.rd.QueryContext(ctx, `SELECT name, type FROM pragma_table_info(?)`, string(d.Layer))
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			cols := map[string]string{}
			for rows.Next() {
				var name, typ string
				if err := rows.Scan(&name, &typ); err != nil {
					t.Fatal(err)
				}
				cols[name] = strings.ToUpper(typ)
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
				rowID := d.RowID && p.Name == d.ID // an integer row id, served as a text id
				if (typ == "INTEGER") != p.Int && !rowID {
					t.Errorf("column %s is %s, described integer=%v", p.Name, typ, p.Int)
				}
				delete(cols, p.Name)
			}
			for name := range cols {
				if name != "fid" && name != "geom" && !slices.Contains(notProperties[d.Layer], name) {
					t.Errorf("column %s is not described", name)
				}
			}
		})
	}
}
