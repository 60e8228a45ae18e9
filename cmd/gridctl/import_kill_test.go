package main

import (
	"bytes"
	"context"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/internal/testenv"
	"github.com/gridd/gridd/store/backend"
	"github.com/gridd/gridd/store/storetest"
)

// The kill tests run `gridctl import` in a child process (this test binary
// re-executed with GRIDCTL_CHILD_ARGS set) and kill it with SIGKILL.
func TestMain(m *testing.M) {
	if args := os.Getenv("GRIDCTL_CHILD_ARGS"); args != "" {
		e := &env{stdin: strings.NewReader(""), stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}
		os.Exit(Main(context.Background(), strings.Split(args, "\x1f"), e))
	}
	os.Exit(m.Run())
}

// child prepares `gridctl args...` as a child process.
func child(t *testing.T, vars map[string]string, args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "GRIDCTL_CHILD_ARGS="+strings.Join(args, "\x1f"))
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	return cmd
}

// importFiles writes a named district (bundle folder) and its plan.
func importFiles(t *testing.T, name string, seed int64) (bundleDir, planFile string) {
	t.Helper()
	dir := t.TempDir()
	b, p := storetest.ImportInput(name, seed)
	bundleDir = filepath.Join(dir, "bundle")
	if err := bundle.Write(bundleDir, b); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := gridplan.WriteGeoJSON(&buf, p.Grids); err != nil {
		t.Fatal(err)
	}
	planFile = filepath.Join(dir, "plan.geojson")
	if err := os.WriteFile(planFile, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return bundleDir, planFile
}

// killStore is one backend as gridctl sees it: a fresh, empty store is
// selected by vars (DATABASE_URL) and the data folder.
type killStore struct {
	name string
	vars func(t *testing.T) map[string]string
	data func(t *testing.T) string
}

func killStores(t *testing.T) []killStore {
	return []killStore{
		{name: "gpkg", vars: func(*testing.T) map[string]string { return nil }, data: func(t *testing.T) string { return t.TempDir() }},
		{name: "postgis", vars: func(t *testing.T) map[string]string {
			return map[string]string{"DATABASE_URL": testenv.PostGIS(t)}
		}, data: func(t *testing.T) string { return t.TempDir() }},
	}
}

func snapshot(t *testing.T, vars map[string]string, data string) storetest.Snapshot {
	t.Helper()
	ctx := context.Background()
	o, err := backend.Open(ctx, vars["DATABASE_URL"], data)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	snap, err := storetest.TakeSnapshot(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

// TestImportKilled kills `gridctl import --bundle B --plan P --publish`
// at random moments over the whole run, on both stores, and checks after
// every kill that the store holds exactly the old state (district "old"
// with plan "old" published) or exactly the new one.
func TestImportKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("kills subprocesses")
	}
	rounds := 24
	if raceEnabled {
		rounds = 6
	}
	oldDir, oldPlan := importFiles(t, "old", 41)
	newDir, newPlan := importFiles(t, "new", 42)
	for _, ks := range killStores(t) {
		t.Run(ks.name, func(t *testing.T) {
			rng := rand.New(rand.NewSource(time.Now().UnixNano()))
			var span time.Duration // how long a whole import takes, measured
			seen := map[string]int{}
			// One store for all rounds: each round first imports the old
			// state whole, so plans accumulate (counted relative to it).
			vars, data := ks.vars(t), ks.data(t)
			for round := 0; round < rounds; round++ {
				importArgs := func(dir, plan, name string) []string {
					return []string{"import", "--bundle", dir, "--plan", plan, "--name", name, "--publish", "--data", data}
				}
				// The old state, imported whole.
				a := importArgs(oldDir, oldPlan, "old")
				if out, err := child(t, vars, a...).CombinedOutput(); err != nil {
					t.Fatalf("old import: %v\n%s", err, out)
				}
				old := snapshot(t, vars, data)
				if old.District != "old" || old.Published != "old" {
					t.Fatalf("old state %+v", old)
				}
				cmd := child(t, vars, importArgs(newDir, newPlan, "new")...)
				start := time.Now()
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				delay := time.Duration(0)
				if round > 0 {
					delay = time.Duration(rng.Int63n(int64(span)*11/10 + 1))
				}
				done := make(chan error, 1)
				go func() { done <- cmd.Wait() }()
				var killed bool
				if round == 0 {
					if err := <-done; err != nil {
						t.Fatalf("new import: %v", err)
					}
					span = time.Since(start)
				} else {
					select {
					case <-done:
					case <-time.After(delay):
						killed = cmd.Process.Kill() == nil
						<-done
					}
				}
				got := snapshot(t, vars, data)
				want := storetest.Snapshot{District: "new", Published: "new", Buildings: len(mustBundle(t, "new", 42).Buildings), Plans: old.Plans + 1}
				switch got {
				case old:
					seen["old"]++
				case want:
					seen["new"]++
				default:
					t.Fatalf("round %d, killed=%v after %v: the store holds %+v, neither old %+v nor new %+v", round, killed, delay, got, old, want)
				}
			}
			t.Logf("%d rounds over an import of %v: %v", rounds, span, seen)
			if seen["old"] == 0 {
				t.Logf("no kill landed before the commit; the old-state branch was not exercised this run")
			}
		})
	}
}

func mustBundle(t *testing.T, name string, seed int64) *bundle.Bundle {
	b, _ := storetest.ImportInput(name, seed)
	return b
}

// TestConcurrentImportProcesses runs two `gridctl import` processes on one
// store at once: both succeed (one waits for the other) or the loser says
// "another import is running", and the store serves one run's district
// with that run's plan.
func TestConcurrentImportProcesses(t *testing.T) {
	aDir, aPlan := importFiles(t, "a", 51)
	bDir, bPlan := importFiles(t, "b", 52)
	for _, ks := range killStores(t) {
		t.Run(ks.name, func(t *testing.T) {
			vars, data := ks.vars(t), ks.data(t)
			var wg sync.WaitGroup
			outs := make([]string, 2)
			codes := make([]error, 2)
			for i, in := range [][3]string{{aDir, aPlan, "a"}, {bDir, bPlan, "b"}} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					out, err := child(t, vars, "import", "--bundle", in[0], "--plan", in[1], "--name", in[2], "--publish", "--data", data).CombinedOutput()
					outs[i], codes[i] = string(out), err
				}()
			}
			wg.Wait()
			ok := 0
			for i := range outs {
				switch {
				case codes[i] == nil:
					ok++
				case strings.Contains(outs[i], "another import is running"):
				default:
					t.Errorf("import %d: %v\n%s", i, codes[i], outs[i])
				}
				if strings.Contains(outs[i], "23505") || strings.Contains(outs[i], "SQLSTATE") {
					t.Errorf("import %d shows a raw database error:\n%s", i, outs[i])
				}
			}
			snap := snapshot(t, vars, data)
			if ok == 0 || snap.District == "" || snap.District != snap.Published || snap.Plans != ok {
				t.Fatalf("%d imports succeeded; the store holds %+v", ok, snap)
			}
		})
	}
}
