package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"github.com/gridd/gridd/api"
	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/internal/testenv"
	"github.com/gridd/gridd/store"
	"github.com/gridd/gridd/store/gpkg"
	"github.com/gridd/gridd/store/postgis"
	"github.com/gridd/gridd/store/storetest"
)

// TestOpaqueBuildingIDs imports a bundle whose building ids are
// alphanumeric (B0000003), 20-digit address codes (beyond int64) and plain
// numbers into each store, starts gridd on it and reads each kind of id
// back through the API: item by id, filter by id, listing, and the
// buildings' vector tile, all carrying the id exactly as given.
func TestOpaqueBuildingIDs(t *testing.T) {
	t.Run("embedded", func(t *testing.T) {
		dir := t.TempDir()
		db, err := gpkg.Open(context.Background(), filepath.Join(dir, "gridd.gpkg"))
		if err != nil {
			t.Fatal(err)
		}
		testOpaqueIDs(t, db, []string{"--data", dir, "--seed=false"}, nil)
	})
	t.Run("postgis", func(t *testing.T) {
		dsn := testenv.PostGIS(t)
		db, err := postgis.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		testOpaqueIDs(t, db, []string{"--seed=false"}, map[string]string{"DATABASE_URL": dsn})
	})
}

func testOpaqueIDs(t *testing.T, db store.Store, args []string, env map[string]string) {
	ctx := context.Background()
	b := storetest.SmallBundle(1)
	if err := db.ImportBundle(ctx, b); err != nil {
		t.Fatal(err)
	}
	id, err := db.CreatePlan(ctx, &gridplan.Plan{Name: "ids", Params: gridplan.DefaultParams(), Grids: communityPlan(b), Report: json.RawMessage(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.PublishPlan(ctx, id); err != nil {
		t.Fatal(err)
	}
	db.Close()

	const secret = "dispatcher-secret"
	if env == nil {
		env = map[string]string{}
	}
	env["GRIDD_API_KEYS"] = api.HashKey(secret) + " dispatcher e2e"
	base := startGridd(t, args, env)

	picked := map[string]bundle.Building{}
	for _, bl := range b.Buildings {
		kind := "number"
		switch {
		case strings.HasPrefix(string(bl.ID), "B"):
			kind = "alphanumeric"
		case len(bl.ID) >= 20:
			kind = "20-digit"
		}
		if _, ok := picked[kind]; !ok {
			picked[kind] = bl
		}
	}
	if len(picked) != 3 {
		t.Fatalf("SmallBundle's ids cover %d of the three formats", len(picked))
	}
	for kind, bl := range picked {
		want := string(bl.ID)
		code, m := getJSONKey(t, base+"/collections/buildings/items/"+url.PathEscape(want), secret)
		if code != http.StatusOK {
			t.Fatalf("%s id %s: item answers %d", kind, want, code)
		}
		if m["id"] != want || m["properties"].(map[string]any)["id"] != want {
			t.Errorf("%s id %s: item has id %#v, properties.id %#v", kind, want, m["id"], m["properties"].(map[string]any)["id"])
		}
		_, m = getJSONKey(t, base+"/collections/buildings/items?id="+url.QueryEscape(want), secret)
		if fs := m["features"].([]any); len(fs) != 1 || fs[0].(map[string]any)["id"] != want {
			t.Errorf("%s id %s: filter by id gives %v", kind, want, m["features"])
		}
		tile := maptile.At(orb.Point{bl.Loc[0], bl.Loc[1]}, 16)
		req, _ := http.NewRequest("GET", fmt.Sprintf("%s/tiles/buildings/16/%d/%d.mvt", base, tile.X, tile.Y), nil)
		req.Header.Set("X-API-Key", secret)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || !bytes.Contains(data, []byte(want)) {
			t.Errorf("%s id %s: tile %v answers %d, %d bytes, id present %v", kind, want, tile, res.StatusCode, len(data), bytes.Contains(data, []byte(want)))
		}
	}
	// The listing pages through every id as given, in store.IDLess order.
	var got []string
	next := base + "/collections/buildings/items?limit=1000"
	for next != "" {
		_, m := getJSONKey(t, next, secret)
		for _, f := range m["features"].([]any) {
			got = append(got, f.(map[string]any)["id"].(string))
		}
		next = ""
		for _, l := range m["links"].([]any) {
			if l.(map[string]any)["rel"] == "next" {
				next = l.(map[string]any)["href"].(string)
			}
		}
	}
	if len(got) != len(b.Buildings) {
		t.Fatalf("%d buildings listed, %d imported", len(got), len(b.Buildings))
	}
	have := map[string]bool{}
	for i, s := range got {
		have[s] = true
		if i > 0 && !store.IDLess(got[i-1], s) {
			t.Fatalf("listing order: %s before %s", got[i-1], s)
		}
	}
	for _, bl := range b.Buildings {
		if !have[string(bl.ID)] {
			t.Fatalf("building %s not listed", bl.ID)
		}
	}
}
