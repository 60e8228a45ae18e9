package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/maptile"

	"github.com/gridd/gridd/api"
	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/fixtures"
	"github.com/gridd/gridd/geo"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/internal/clip"
	"github.com/gridd/gridd/internal/testenv"
	"github.com/gridd/gridd/store"
	"github.com/gridd/gridd/store/gpkg"
	"github.com/gridd/gridd/store/postgis"
)

// syncBuffer collects gridd's log lines from the server goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startGridd runs gridd in-process on 127.0.0.1:0 and returns its base
// URL; the server is shut down (and must exit cleanly) when the test ends.
func startGridd(t testing.TB, args []string, env map[string]string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan string, 1)
	done := make(chan error, 1)
	logs := &syncBuffer{}
	go func() {
		done <- Run(ctx, append([]string{"--addr", "127.0.0.1:0"}, args...), func(k string) string { return env[k] }, logs,
			func(addr string) { addrc <- addr })
	}()
	var base string
	select {
	case a := <-addrc:
		base = "http://" + a
	case err := <-done:
		cancel()
		t.Fatalf("gridd exited before listening: %v\n%s", err, logs.String())
	case <-time.After(6 * time.Minute):
		// Seeding validates the Pukou plan, whose overlays run some 30×
		// slower under -race on the loaded shared machine.
		cancel()
		t.Fatalf("gridd did not start\n%s", logs.String())
	}
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("gridd shutdown: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("gridd did not shut down")
		}
		if !strings.Contains(logs.String(), `"msg":"stopped"`) {
			t.Error("no clean-shutdown log line")
		}
	})
	return base
}

func getJSON(t *testing.T, url string) (int, map[string]any) {
	t.Helper()
	return getJSONKey(t, url, "")
}

func getJSONKey(t *testing.T, url, key string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("X-API-Key", key)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(res.Body).Decode(&m); err != nil {
		t.Fatalf("%s: %v", url, err)
	}
	return res.StatusCode, m
}

// fixturePlan returns the committed Pukou plan, or nil when the fixtures
// do not carry one yet.
func fixturePlan(t *testing.T) []gridplan.Grid {
	t.Helper()
	f, err := fixtures.PukouFS().Open("plan.geojson")
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	grids, err := gridplan.ReadGeoJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	return grids
}

// communityPlan is a stand-in plan for when the fixtures carry none: one
// grid per community with the community's outline, enough for the
// service to have a grids layer to serve.
func communityPlan(b *bundle.Bundle) []gridplan.Grid {
	var out []gridplan.Grid
	areas := make([]geo.Area, len(b.Communities))
	for i, c := range b.Communities {
		out = append(out, gridplan.Grid{Code: bundle.GridCode(string(c.Code) + "001"), Community: c.Code, Street: c.Street, Kind: c.Kind, Target: 500, Geom: c.Geom})
		areas[i] = geo.Area{Code: string(c.Code), Geom: c.Geom}
	}
	// Households as /locate places the buildings, which is how imports
	// check them.
	if ix, err := geo.NewPolygonIndex(areas); err == nil {
		for _, bl := range b.Buildings {
			if i, ok := ix.Locate(bl.Loc[0], bl.Loc[1]); ok {
				out[i].Households += bl.Households
			}
		}
	}
	return out
}

// seedStore imports Pukou and publishes a plan into st, as gridd's first
// start does, so the test can also check a store that was filled by
// gridctl rather than by gridd.
func seedStore(t *testing.T, st store.Store) {
	t.Helper()
	ctx := context.Background()
	b, err := fixtures.LoadPukou()
	if err != nil {
		t.Fatal(err)
	}
	if err := st.ImportBundle(ctx, b); err != nil {
		t.Fatal(err)
	}
	grids := fixturePlan(t)
	if grids == nil {
		grids = communityPlan(b)
	}
	id, err := st.CreatePlan(ctx, &gridplan.Plan{Name: "test", Params: gridplan.DefaultParams(), Grids: grids, Report: json.RawMessage(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.PublishPlan(ctx, id); err != nil {
		t.Fatal(err)
	}
}

// TestEmbeddedStore starts gridd on an empty data directory: it must seed
// the Pukou district itself and serve it.
func TestEmbeddedStoreSeeds(t *testing.T) {
	dir := t.TempDir()
	const secret = "embedded-dispatcher"
	base := startGridd(t, []string{"--data", dir}, map[string]string{"GRIDD_API_KEYS": api.HashKey(secret) + " dispatcher e2e"})
	checkService(t, base)
	checkBadInput(t, base, secret)
	b, err := fixtures.LoadPukou()
	if err != nil {
		t.Fatal(err)
	}
	_, m := getJSON(t, base+"/collections/communities/items?limit=1")
	if int(m["numberMatched"].(float64)) != len(b.Communities) {
		t.Errorf("%v communities served, bundle has %d", m["numberMatched"], len(b.Communities))
	}
	_, m = getJSON(t, base+"/collections/grids/items?limit=1")
	if grids := fixturePlan(t); grids != nil && int(m["numberMatched"].(float64)) != len(grids) {
		t.Errorf("%v grids served, the fixture plan has %d", m["numberMatched"], len(grids))
	}
	if _, err := os.Stat(filepath.Join(dir, "gridd.gpkg")); err != nil {
		t.Error(err)
	}
}

// TestPostGIS runs gridd against PostGIS: it seeds an empty database and
// serves the same district as the embedded store.
func TestPostGIS(t *testing.T) {
	dsn := testenv.PostGIS(t)
	const secret = "dispatcher-secret"
	keys := api.HashKey(secret) + " dispatcher e2e"
	base := startGridd(t, nil, map[string]string{"DATABASE_URL": dsn, "GRIDD_API_KEYS": keys})
	checkService(t, base)
	checkBadInput(t, base, secret)
	b, err := fixtures.LoadPukou()
	if err != nil {
		t.Fatal(err)
	}
	for layer, want := range map[string]int{"streets": len(b.Streets), "communities": len(b.Communities), "buildings": len(b.Buildings), "patrols": len(b.Patrols)} {
		_, m := getJSONKey(t, base+"/collections/"+layer+"/items?limit=1", secret)
		if int(m["numberMatched"].(float64)) != want {
			t.Errorf("%s: %v served from PostGIS, the bundle has %d", layer, m["numberMatched"], want)
		}
	}
	if grids := fixturePlan(t); grids != nil {
		_, m := getJSON(t, base+"/collections/grids/items?limit=1")
		if int(m["numberMatched"].(float64)) != len(grids) {
			t.Errorf("grids: %v served from PostGIS, the fixture plan has %d", m["numberMatched"], len(grids))
		}
	}
	// A bbox on the live patrols layer goes to PostGIS itself.
	if code, _ := getJSON(t, base+"/collections/patrols/items"); code != http.StatusUnauthorized {
		t.Errorf("patrols without a key: %d", code)
	}
	_, m := getJSONKey(t, base+"/collections/patrols/items?bbox=118.55,31.95,118.75,32.15&limit=1000", secret)
	n := 0
	for _, p := range b.Patrols {
		if p.Loc[0] >= 118.55 && p.Loc[0] <= 118.75 && p.Loc[1] >= 31.95 && p.Loc[1] <= 32.15 {
			n++
		}
	}
	if int(m["numberMatched"].(float64)) != n {
		t.Errorf("patrols in the box: %v from PostGIS, %d in the bundle", m["numberMatched"], n)
	}
}

// TestSeedPublishesFixturePlan: with a plan.geojson next to the bundle,
// the first start imports the bundle, creates the plan and publishes it;
// a second start changes nothing. (The test builds its own fixtures
// folder, with a grid per community as the plan, so it does not depend on
// the committed plan.)
func TestSeedPublishesFixturePlan(t *testing.T) {
	ctx := context.Background()
	b, err := fixtures.LoadPukou()
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{}
	err = fs.WalkDir(fixtures.PukouFS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || p == "plan.geojson" || p == "plan-report.json" {
			return err
		}
		data, err := fs.ReadFile(fixtures.PukouFS(), p)
		fsys[p] = &fstest.MapFile{Data: data}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var plan bytes.Buffer
	if err := gridplan.WriteGeoJSON(&plan, communityPlan(b)); err != nil {
		t.Fatal(err)
	}
	fsys["plan.geojson"] = &fstest.MapFile{Data: plan.Bytes()}
	fsys["plan-report.json"] = &fstest.MapFile{Data: []byte(`{"grids":125}`)}
	db, err := gpkg.Open(ctx, filepath.Join(t.TempDir(), "gridd.gpkg"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	log := slog.New(slog.DiscardHandler)
	for i := 0; i < 2; i++ {
		if err := seed(ctx, db, fsys, log); err != nil {
			t.Fatalf("seed %d: %v", i+1, err)
		}
	}
	plans, err := db.Plans(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(plans) != 1 || plans[0].Status != gridplan.Published || plans[0].Grids != len(b.Communities) {
		t.Fatalf("plans after two starts: %+v", plans)
	}
	p, err := db.PublishedPlan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct{ Grids int }
	if err := json.Unmarshal(p.Report, &rep); err != nil || rep.Grids != 125 {
		t.Errorf("the fixtures' report was not kept: %s", p.Report)
	}
}

// checkService is the smoke test both stores pass.
func checkService(t *testing.T, base string) {
	t.Helper()
	if code, m := getJSON(t, base+"/readyz"); code != 200 {
		t.Fatalf("readyz %d %v", code, m)
	}
	code, m := getJSON(t, base+"/collections")
	public := 0
	for _, d := range store.Descriptions {
		if d.Public() {
			public++
		}
	}
	if code != 200 || len(m["collections"].([]any)) != public {
		t.Fatalf("collections %d %v", code, m)
	}
	// A point in Jiangpu street's old town.
	code, m = getJSON(t, base+"/locate?lon=118.62&lat=32.06")
	if code != 200 || m["street"] == nil || m["community"] == nil {
		t.Errorf("locate: %d %v", code, m)
	}
	code, m = getJSON(t, base+"/locate?lon=117&lat=32.06")
	if code != 404 || m["distance_m"] == nil {
		t.Errorf("locate outside: %d %v", code, m)
	}
}

// TestGDAL reads the service with GDAL's OAPIF and MVT drivers and
// compares what GDAL sees with what the store holds.
func TestGDAL(t *testing.T) {
	testenv.Tool(t, "ogrinfo")
	testenv.Tool(t, "ogr2ogr")
	t.Run("embedded", func(t *testing.T) {
		dir := t.TempDir()
		db, err := gpkg.Open(context.Background(), filepath.Join(dir, "gridd.gpkg"))
		if err != nil {
			t.Fatal(err)
		}
		testGDAL(t, db, []string{"--data", dir, "--seed=false"}, nil)
	})
	t.Run("postgis", func(t *testing.T) {
		dsn := testenv.PostGIS(t)
		db, err := postgis.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		testGDAL(t, db, []string{"--seed=false"}, map[string]string{"DATABASE_URL": dsn})
	})
}

// testGDAL seeds db (which it closes), starts gridd on the same store with
// args and env, and reads it with GDAL.
func testGDAL(t *testing.T, db store.Store, args []string, env map[string]string) {
	ogrinfo := testenv.Tool(t, "ogrinfo")
	ogr2ogr := testenv.Tool(t, "ogr2ogr")
	ctx := context.Background()
	seedStore(t, db)
	counts := map[store.Layer]int{}
	for _, l := range []store.Layer{store.Streets, store.Communities, store.Grids} {
		p, err := db.Features(ctx, store.Query{Layer: l, Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		counts[l] = p.NumberMatched
	}
	plan, err := db.PublishedPlan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	base := startGridd(t, args, env)
	src := "OAPIF:" + base

	run := func(name string, args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Env = append(os.Environ(), "GDAL_HTTP_TIMEOUT=60", "CPL_VSIL_CURL_USE_HEAD=NO")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, clip.Text(string(out), 2000))
		}
		return string(out)
	}

	t.Run("lists every public collection and only those", func(t *testing.T) {
		out := run(ogrinfo, "-ro", src)
		for _, d := range store.Descriptions {
			if listed := regexp.MustCompile(`(?m)^\d+: ` + string(d.Layer) + `\b`).MatchString(out); listed != d.Public() {
				t.Errorf("ogrinfo without a key lists %s: %v, public: %v\n%s", d.Layer, listed, d.Public(), out)
			}
		}
	})
	for _, l := range []store.Layer{store.Grids, store.Communities, store.Streets} {
		t.Run("reads every feature of "+string(l), func(t *testing.T) {
			out := run(ogrinfo, "-ro", "-al", "-geom=NO", src, string(l))
			n := strings.Count(out, "OGRFeature("+string(l)+"):")
			if n != counts[l] || n == 0 {
				t.Errorf("GDAL read %d %s, the store has %d", n, l, counts[l])
			}
			so := run(ogrinfo, "-ro", "-so", "-al", src, string(l))
			if !strings.Contains(so, "Feature Count: "+strconv.Itoa(counts[l])) {
				t.Errorf("ogrinfo -so does not report %d features:\n%s", counts[l], clip.Text(so, 600))
			}
		})
	}
	// Coordinates are served at 7 decimals (api README): each vertex moves
	// by at most half of 1e-7° per axis, under 8 mm at Nanjing, so a copied
	// grid's area may differ by at most its perimeter times that.
	t.Run("ogr2ogr copies grids with areas equal to 7 decimals", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "grids.gpkg")
		run(ogr2ogr, "-f", "GPKG", out, src, "grids")
		gj := run(ogr2ogr, "-f", "GeoJSON", "-lco", "COORDINATE_PRECISION=15", "/vsistdout/", out, "grids")
		fc, err := geojson.UnmarshalFeatureCollection([]byte(gj))
		if err != nil {
			t.Fatal(err)
		}
		want, tol := map[string]float64{}, map[string]float64{}
		for _, g := range plan.Grids {
			want[string(g.Code)] = geo.AreaM2(g.Geom)
			tol[string(g.Code)] = geo.PerimeterM(g.Geom)*0.008 + 1e-3
		}
		if len(fc.Features) != len(want) {
			t.Fatalf("copied %d grids of %d", len(fc.Features), len(want))
		}
		for _, f := range fc.Features {
			code, _ := f.Properties["code"].(string)
			w, ok := want[code]
			if !ok {
				t.Fatalf("copied grid %q is not in the plan", code)
			}
			var got float64
			switch g := f.Geometry.(type) {
			case orb.MultiPolygon:
				got = geo.AreaM2(g)
			case orb.Polygon:
				got = geo.AreaM2(orb.MultiPolygon{g})
			default:
				t.Fatalf("grid %s copied as %T", code, f.Geometry)
			}
			if math.Abs(got-w) > tol[code] {
				t.Errorf("grid %s: area %.3f m² after the copy, %.3f m² in the store", code, got, w)
			}
		}
	})
	t.Run("ogrinfo -where becomes a CQL2 filter", func(t *testing.T) {
		testGDALWhere(t, run, ogrinfo, src, plan.Grids)
	})
	t.Run("MVT driver reads a zoom-14 tile", func(t *testing.T) {
		g := plan.Grids[len(plan.Grids)/2]
		c, _ := planarCentroid(g.Geom)
		tile := maptile.At(c, 14)
		path := filepath.Join(t.TempDir(), "14", strconv.Itoa(int(tile.X)), strconv.Itoa(int(tile.Y))+".pbf")
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		res, err := http.Get(fmt.Sprintf("%s/tiles/grids/14/%d/%d.mvt", base, tile.X, tile.Y))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Fatalf("tile: %d", res.StatusCode)
		}
		if err := os.WriteFile(path, body, 0o644); err != nil {
			t.Fatal(err)
		}
		out := run(ogrinfo, "-ro", "-al", "-geom=NO", "MVT:"+path)
		found := map[string]bool{}
		for _, m := range regexp.MustCompile(`code \(String\) = (\d+)`).FindAllStringSubmatch(out, -1) {
			found[m[1]] = true
		}
		tb := tile.Bound()
		pad := (tb.Max[0] - tb.Min[0]) / 16 // the tile buffer is 1/64 tile; allow simplification slack
		outer := orb.Bound{Min: orb.Point{tb.Min[0] - pad, tb.Min[1] - pad}, Max: orb.Point{tb.Max[0] + pad, tb.Max[1] + pad}}
		for _, pg := range plan.Grids {
			code := string(pg.Code)
			inside := pg.Geom.Bound().Intersects(tb) && planarContainsAny(pg.Geom, tb)
			if inside && !found[code] {
				t.Errorf("grid %s overlaps the tile but GDAL did not find it", code)
			}
			if found[code] && !pg.Geom.Bound().Intersects(outer) {
				t.Errorf("grid %s is in the tile but lies outside it", code)
			}
		}
		if !found[string(g.Code)] {
			t.Errorf("the tile around grid %s lacks it; found %d grids", g.Code, len(found))
		}
	})
}

// planarCentroid is the centre of a multipolygon's bound, nudged to a
// vertex-free interior sample: the bound centre is enough to pick a tile.
func planarCentroid(mp orb.MultiPolygon) (orb.Point, bool) {
	return mp.Bound().Center(), true
}

// planarContainsAny reports whether mp has a sampled interior point well
// inside the tile (so simplification cannot drop it).
func planarContainsAny(mp orb.MultiPolygon, tb orb.Bound) bool {
	w, h := tb.Max[0]-tb.Min[0], tb.Max[1]-tb.Min[1]
	for i := 1; i < 8; i++ {
		for j := 1; j < 8; j++ {
			p := orb.Point{tb.Min[0] + w*float64(i)/8, tb.Min[1] + h*float64(j)/8}
			for _, poly := range mp {
				if polygonContains(poly, p) {
					return true
				}
			}
		}
	}
	return false
}

func polygonContains(p orb.Polygon, pt orb.Point) bool {
	in := false
	for ri, r := range p {
		c := ringContains(r, pt)
		if ri == 0 {
			in = c
		} else if c {
			return false
		}
	}
	return in
}

func ringContains(r orb.Ring, p orb.Point) bool {
	in := false
	for i, j := 0, len(r)-1; i < len(r); j, i = i, i+1 {
		a, b := r[i], r[j]
		if (a[1] > p[1]) != (b[1] > p[1]) && p[0] < (b[0]-a[0])*(p[1]-a[1])/(b[1]-a[1])+a[0] {
			in = !in
		}
	}
	return in
}

// TestMain exercises the command line: -h, bad flags.
func TestMainUsage(t *testing.T) {
	var out, errb bytes.Buffer
	if code := Main(context.Background(), []string{"-h"}, func(string) string { return "" }, &out, &errb); code != 0 || !strings.Contains(out.String(), "--addr") && !strings.Contains(out.String(), "-addr") {
		t.Errorf("-h: exit %d, usage %q", code, out.String())
	}
	for _, args := range [][]string{{"--nope"}, {"--addr", "nonsense"}, {"extra"}, {"--log-level", "loud"}, {"--keys", "/does/not/exist"},
		{"--basemap-crs", "bd09", "--basemap", "https://t.example/{z}/{x}/{y}.png"}, {"--basemap-crs", "mars"}, {"--basemap", "https://t.example/tile.png"}} {
		errb.Reset()
		code := Main(context.Background(), args, func(string) string { return "" }, &out, &errb)
		if code != 2 || strings.Count(errb.String(), "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q", args, code, errb.String())
		}
	}
	errb.Reset()
	code := Main(context.Background(), []string{"--addr", "127.0.0.1:0"}, func(k string) string {
		if k == "GRIDD_API_KEYS" {
			return "not-a-hash admin"
		}
		return ""
	}, &out, &errb)
	if code != 2 {
		t.Errorf("bad GRIDD_API_KEYS: exit %d %q", code, errb.String())
	}
}
