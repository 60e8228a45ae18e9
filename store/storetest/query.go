package storetest

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gridd/gridd/cql2"
	"github.com/gridd/gridd/dispatch"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/internal/clip"
	"github.com/gridd/gridd/store"
)

// testQuery checks CQL2 filters, sort keys and property selection: each
// store's answer must equal cql2.Match applied to every feature of the
// layer (so PostGIS's SQL, SQLite's SQL with its R-tree prefilter and the
// in-memory evaluation agree), in the order the sort keys give, paged.
func testQuery(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	b := SmallBundle(23)
	mustImport(t, s, b)
	p, err := s.CreatePlan(ctx, NewPlan(b, "cql2", 0))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.PublishPlan(ctx, p); err != nil {
		t.Fatal(err)
	}
	// Two patrols report (one busy), two never do: updated_at stays NULL.
	t0 := time.Date(2026, 5, 2, 7, 30, 0, 0, time.UTC)
	for i, st := range []dispatch.UnitStatus{dispatch.StatusBusy, dispatch.StatusAvailable} {
		pp := dispatch.PositionReport{Unit: b.Patrols[i].ID, Loc: b.Patrols[i].Loc, Status: st, At: t0.Add(time.Duration(i) * time.Hour)}
		if err := report1(ctx, s, pp); err != nil {
			t.Fatal(err)
		}
	}
	all := map[store.Layer][]store.Feature{}
	for _, l := range store.Layers {
		page, err := s.Features(ctx, store.Query{Layer: l})
		if err != nil {
			t.Fatal(err)
		}
		all[l] = page.Features
	}
	c0 := b.Communities[0].Geom[0][0]
	ring := make([]string, len(c0))
	for i, pt := range c0 {
		ring[i] = fmt.Sprintf("%v %v", pt[0], pt[1])
	}
	community0 := "POLYGON((" + strings.Join(ring, ", ") + "))"
	// A thin box across the slanted edge between the first two communities
	// of street 1: inside both envelopes, inside only some polygons.
	edge := b.Communities[0].Geom.Bound()
	slant := fmt.Sprintf("BBOX(%v, %v, %v, %v)", edge.Max[0]-0.002, edge.Max[1]-0.004, edge.Max[0]-0.001, edge.Max[1]-0.003)
	sc := string(b.Streets[1].Code)

	cases := []struct {
		layer  store.Layer
		filter string
		sortBy []store.SortKey
	}{
		{store.Buildings, "households > 30", nil},
		{store.Buildings, "households > 30.5 AND households <= 40", []store.SortKey{{Prop: "households", Desc: true}}},
		{store.Buildings, "households = 30.0 OR households IN (5, 64)", nil},
		{store.Buildings, "households BETWEEN 10 AND 20 AND address LIKE '测试路1%'", []store.SortKey{{Prop: "address"}}},
		{store.Buildings, "NOT households NOT BETWEEN 10 AND 20", nil},
		{store.Buildings, "address LIKE '%路1_号'", nil},
		{store.Buildings, "S_INTERSECTS(geometry, " + community0 + ")", []store.SortKey{{Prop: "households"}, {Prop: "address", Desc: true}}},
		{store.Buildings, "NOT S_INTERSECTS(geometry, " + community0 + ") AND households < 20", nil},
		{store.Buildings, "S_INTERSECTS(geometry, " + community0 + ") OR households > 60", nil},
		{store.Communities, "S_INTERSECTS(geometry, " + slant + ")", nil},
		{store.Communities, "NOT S_INTERSECTS(geometry, " + slant + ")", nil},
		{store.Communities, "kind = 'rural' OR street_code = '" + sc + "'", []store.SortKey{{Prop: "name", Desc: true}}},
		{store.Communities, "name < '社区2' AND code >= '320111001002'", nil},
		{store.Communities, "S_INTERSECTS(geometry, LINESTRING(118.59 32.01, 118.75 32.01))", nil},
		{store.Grids, "households >= 100 AND kind = 'urban'", []store.SortKey{{Prop: "households"}}},
		{store.Grids, "target = 300 AND plan_id > 0", nil},
		{store.Facilities, "kind IN ('workstation', 'subcentre') AND community_code IS NULL", nil},
		{store.Facilities, "code LIKE '%w'", nil}, // LIKE is case-sensitive: the codes end in W
		{store.Facilities, "code LIKE '%W' AND S_INTERSECTS(geometry, POINT(118.6 32))", nil},
		{store.Facilities, "community_code IS NOT NULL AND NOT kind = 'workstation'", nil},
		{store.Patrols, "status = 'busy'", nil},
		{store.Patrols, "updated_at IS NULL", nil},
		{store.Patrols, "NOT updated_at < '2026-05-02T08'", []store.SortKey{{Prop: "updated_at", Desc: true}}},
		{store.Patrols, "status <> 'busy' AND 'a' < 'b'", []store.SortKey{{Prop: "updated_at"}}},
		{store.Patrols, "S_INTERSECTS(geometry, BBOX(118.5, 31.9, 118.8, 32.2)) AND callsign LIKE '巡逻1-_'", nil},
	}
	sizes := map[int]bool{}
	for _, tc := range cases {
		t.Run(string(tc.layer)+" "+clip.Text(tc.filter, 60), func(t *testing.T) {
			ls, err := store.Schema(tc.layer)
			if err != nil {
				t.Fatal(err)
			}
			e, err := cql2.Parse(tc.filter, ls.Queryables())
			if err != nil {
				t.Fatal(err)
			}
			var want []store.Feature
			for _, f := range all[tc.layer] {
				if cql2.Match(e, f.Props, f.Geom) {
					want = append(want, f)
				}
			}
			sortFeatures(want, tc.sortBy)
			sizes[len(want)] = true
			for _, pg := range []struct{ limit, offset int }{{0, 0}, {2, 1}} {
				page, err := s.Features(ctx, store.Query{Layer: tc.layer, Filter: e, SortBy: tc.sortBy, Limit: pg.limit, Offset: pg.offset})
				if err != nil {
					t.Fatal(err)
				}
				w := want[min(pg.offset, len(want)):]
				if pg.limit > 0 {
					w = w[:min(pg.limit, len(w))]
				}
				if fmt.Sprint(ids(page.Features)) != fmt.Sprint(ids(w)) || page.NumberMatched != len(want) {
					t.Fatalf("limit %d offset %d: got %v (matched %d), want %v (matched %d)", pg.limit, pg.offset, ids(page.Features), page.NumberMatched, ids(w), len(want))
				}
			}
		})
	}
	if len(sizes) < 5 {
		t.Errorf("the filters select only %d distinct counts: the cases do not discriminate", len(sizes))
	}

	t.Run("Properties", func(t *testing.T) {
		e, err := cql2.Parse("households > 20", mustQueryables(t, store.Buildings))
		if err != nil {
			t.Fatal(err)
		}
		for _, props := range [][]string{{"address"}, {}, {"households", "id"}} { // sorted, as compared
			page, err := s.Features(ctx, store.Query{Layer: store.Buildings, Filter: e, Properties: props, Limit: 5})
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Features) != 5 {
				t.Fatalf("properties %v: %d features", props, len(page.Features))
			}
			for _, f := range page.Features {
				var keys []string
				for k := range f.Props {
					keys = append(keys, k)
				}
				sort.Strings(keys)
				if fmt.Sprint(keys) != fmt.Sprint(props) || f.ID == "" || f.Geom == nil {
					t.Fatalf("properties %v: feature %q has %v", props, f.ID, keys)
				}
			}
		}
	})

	t.Run("Invalid", func(t *testing.T) {
		wide := mustQueryables(t, store.Buildings)
		wide["colour"] = cql2.String
		stray, err := cql2.Parse("colour = 'red'", wide)
		if err != nil {
			t.Fatal(err)
		}
		for name, q := range map[string]store.Query{
			"filter":     {Layer: store.Buildings, Filter: stray},
			"sortby":     {Layer: store.Buildings, SortBy: []store.SortKey{{Prop: "colour"}}},
			"sortby geo": {Layer: store.Buildings, SortBy: []store.SortKey{{Prop: store.GeometryProperty}}},
			"properties": {Layer: store.Buildings, Properties: []string{"households", "colour"}},
		} {
			_, err := s.Features(ctx, q)
			e, ok := errs.As(err)
			if !ok || e.Code != errs.Invalid || !strings.HasPrefix(name, e.Field) {
				t.Errorf("%s: got %v, want Invalid on %s", name, err, strings.Fields(name)[0])
			}
		}
	})
}

func mustQueryables(t *testing.T, l store.Layer) cql2.Schema {
	t.Helper()
	ls, err := store.Schema(l)
	if err != nil {
		t.Fatal(err)
	}
	return ls.Queryables()
}

// sortFeatures orders fs as the stores must: by the keys (NULL after every
// value ascending, before them descending; strings bytewise), then in the
// stores' id order, which fs already has.
func sortFeatures(fs []store.Feature, keys []store.SortKey) {
	sort.SliceStable(fs, func(i, j int) bool {
		for _, k := range keys {
			a, b := fs[i].Props[k.Prop], fs[j].Props[k.Prop]
			c := compareValues(a, b)
			if k.Desc {
				c = -c
			}
			if c != 0 {
				return c < 0
			}
		}
		return false
	})
}

// compareValues orders two property values with NULL as the largest.
func compareValues(a, b any) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return 1
	case b == nil:
		return -1
	}
	switch a := a.(type) {
	case int64:
		bi := b.(int64)
		switch {
		case a < bi:
			return -1
		case a > bi:
			return 1
		}
		return 0
	case string:
		return strings.Compare(a, b.(string))
	}
	panic(fmt.Sprintf("storetest: cannot order %T", a))
}
