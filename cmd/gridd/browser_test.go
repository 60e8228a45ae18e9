package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gridd/gridd/api"
	"github.com/gridd/gridd/internal/testenv"
)

// paintBudgetMs is issue 16's first-meaningful-paint budget for / on the
// Pukou district in headless Chromium on loopback.
const paintBudgetMs = 2000

// browserResult is what web/test/browser.mjs prints.
type browserResult struct {
	OK            bool     `json:"ok"`
	GCJ02         bool     `json:"gcj02"`
	Error         string   `json:"error"`
	Checks        []string `json:"checks"`
	Skipped       []string `json:"skipped"`
	ExpectedGrid  string   `json:"expectedGrid"`
	PaintsMs      []int    `json:"paintsMs"`
	PaintBestMs   int      `json:"paintBestMs"`
	PaintMedianMs int      `json:"paintMedianMs"`
	Console       struct {
		FirstMeaningfulPaintMs int    `json:"firstMeaningfulPaintMs"`
		GridShown              string `json:"gridShown"`
	} `json:"console"`
	Planner struct {
		GridShown string `json:"gridShown"`
	} `json:"planner"`
	CaseFlow *struct {
		ID   string `json:"id"`
		Unit string `json:"unit"`
	} `json:"caseFlow"`
	PlannerEdit *struct {
		Draft  string   `json:"draft"`
		Merged []string `json:"merged"`
		Before struct {
			Errors, Warnings int
		} `json:"before"`
		After struct {
			Errors, Warnings int
		} `json:"after"`
	} `json:"plannerEdit"`
	UnitMove *struct {
		Unit string     `json:"unit"`
		From [2]float64 `json:"from"`
		To   [2]float64 `json:"to"`
		Ms   int        `json:"ms"`
	} `json:"unitMove"`
}

// TestBrowser drives the map pages of a real gridd (Run, the embedded
// store seeded with Pukou) in Debian's headless chromium through
// playwright-core: click a point and see its grid (from /locate) in the
// console's locate card and the planner's figures, the English switch, no
// console errors, nothing fetched from outside, screenshots of both views
// (in $GRIDD_SCREENSHOTS, else a temporary directory), and the first
// meaningful paint of / within paintBudgetMs.
func TestBrowser(t *testing.T) {
	out := os.Getenv("GRIDD_SCREENSHOTS")
	if out == "" {
		out = t.TempDir()
	}
	res := runBrowser(t, nil, "", out)
	if res.GCJ02 {
		t.Error("the page declares a GCJ-02 basemap without --basemap")
	}
	t.Logf("%d checks passed; first visit paint %d ms; new-visitor paints %v ms (best %d, median %d); screenshots in %s",
		len(res.Checks), res.Console.FirstMeaningfulPaintMs, res.PaintsMs, res.PaintBestMs, res.PaintMedianMs, out)
	switch {
	case len(res.PaintsMs) == 0 || res.PaintBestMs <= 0:
		t.Errorf("no first-paint figure: %v", res.PaintsMs)
	case raceOn:
		// The server answering the page is race-instrumented here; the
		// budget is judged by the same test without -race.
		t.Logf("first meaningful paint not judged under -race (best %d ms, budget %d ms)", res.PaintBestMs, paintBudgetMs)
	case res.PaintBestMs > paintBudgetMs:
		t.Errorf("first meaningful paint of / %d ms (best of %v), budget %d ms", res.PaintBestMs, res.PaintsMs, paintBudgetMs)
	}
	for _, name := range []string{"console.png", "planner.png", "console-en.png"} {
		if fi, err := os.Stat(filepath.Join(out, name)); err != nil || fi.Size() < 10_000 {
			t.Errorf("screenshot %s: %v", name, err)
		}
	}
}

// TestBrowserGCJ02 serves the pages over a GCJ-02 basemap (a local tile
// server standing in for a Chinese basemap): the pages must draw gcj02
// tiles and the basemap, and a click on a grid's GCJ-02 place must show
// that grid.
func TestBrowserGCJ02(t *testing.T) {
	var tile bytes.Buffer
	img := image.NewRGBA(image.Rect(0, 0, 256, 256))
	draw.Draw(img, img.Bounds(), &image.Uniform{color.RGBA{0xf2, 0xef, 0xe9, 0xff}}, image.Point{}, draw.Src)
	if err := png.Encode(&tile, img); err != nil {
		t.Fatal(err)
	}
	var served atomic.Int64
	bm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		w.Header().Set("Content-Type", "image/png")
		w.Header().Set("Access-Control-Allow-Origin", "*")
		_, _ = w.Write(tile.Bytes())
	}))
	defer bm.Close()
	res := runBrowser(t, []string{"--basemap", bm.URL + "/{z}/{x}/{y}.png", "--basemap-crs", "gcj02"}, bm.URL, t.TempDir())
	if !res.GCJ02 {
		t.Error("the page does not declare the GCJ-02 basemap")
	}
	if served.Load() == 0 {
		t.Error("no basemap tile was asked for")
	}
	t.Logf("%d checks passed over a GCJ-02 basemap (%d basemap tiles)", len(res.Checks), served.Load())
}

// runBrowser starts gridd with args (the embedded store seeded with
// Pukou) and runs web/test/browser.mjs against it, failing the test on any
// failed check.
func runBrowser(t *testing.T, args []string, basemapOrigin, out string) browserResult {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test in -short mode")
	}
	node, chromium, script := browserTools(t)
	// The pages get an admin key (as a dispatcher types one into the
	// header), so the parts behind roles are driven where gridd serves them.
	const secret = "browser-test-admin-key"
	base := startGridd(t, append([]string{"--data", t.TempDir()}, args...), map[string]string{"GRIDD_API_KEYS": api.HashKey(secret) + " admin browser-test"})
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, script, base, out, chromium, basemapOrigin)
	cmd.Env = append(os.Environ(), "GRIDD_TEST_KEY="+secret)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	var res browserResult
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &res); err != nil {
		t.Fatalf("browser script: %v %v\nstdout: %s\nstderr: %s", runErr, err, stdout.String(), stderr.String())
	}
	if !res.OK || runErr != nil {
		t.Fatalf("browser: %s (%v)\nchecks passed: %q\nstderr: %s", res.Error, runErr, res.Checks, stderr.String())
	}
	if res.Console.GridShown != res.ExpectedGrid || res.Planner.GridShown != res.ExpectedGrid || res.ExpectedGrid == "" {
		t.Errorf("grid shown: console %q planner %q, /locate says %q", res.Console.GridShown, res.Planner.GridShown, res.ExpectedGrid)
	}
	for _, s := range res.Skipped {
		t.Logf("not tested, gridd does not serve it yet: %s", s)
	}
	// gridd serves incidents, cases and units: the console's flows must run.
	if res.CaseFlow == nil {
		t.Error("the console's incident flow did not run")
	} else {
		t.Logf("incident created in the console, case %s dispatched to %s", res.CaseFlow.ID, res.CaseFlow.Unit)
	}
	if res.PlannerEdit == nil {
		t.Error("the planner's merge did not run")
	} else {
		e := res.PlannerEdit
		t.Logf("planner: draft %s, merged %v: validation errors %d → %d, warnings %d → %d; published", e.Draft, e.Merged, e.Before.Errors, e.After.Errors, e.Before.Warnings, e.After.Warnings)
	}
	if res.UnitMove == nil {
		t.Error("the console's unit move did not run")
	} else {
		t.Logf("unit %s posted from %v to %v: its marker moved %d ms after the POST answered, no reload", res.UnitMove.Unit, res.UnitMove.From, res.UnitMove.To, res.UnitMove.Ms)
	}
	return res
}

// browserTools finds node, chromium and the browser script with its
// playwright-core (web/node_modules, from npm ci); scripts/test.sh
// installs them. Missing tools skip the test, or fail it under
// GRIDD_TEST_REQUIRE=1.
func browserTools(t *testing.T) (node, chromium, script string) {
	t.Helper()
	missing := func(what string) {
		t.Helper()
		if testenv.Required() {
			t.Fatalf("%s (GRIDD_TEST_REQUIRE=1: the test command must provide it)", what)
		}
		t.Skipf("%s; run `make test` to provision it", what)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node is not installed")
	}
	chromium = os.Getenv("GRIDD_CHROMIUM")
	if chromium == "" {
		if chromium, err = exec.LookPath("chromium"); err != nil {
			missing("chromium is not installed")
		}
	}
	web, err := filepath.Abs(filepath.Join("..", "..", "web"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(web, "node_modules", "playwright-core", "package.json")); err != nil {
		missing("web/node_modules/playwright-core is missing (cd web && npm ci)")
	}
	return node, chromium, filepath.Join(web, "test", "browser.mjs")
}
