package storetest

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/gridd/gridd/store"
)

// importSteps are the named steps at which both stores call their import
// hook, in order, all inside the import's transaction.
var importSteps = []string{"decided", "bundle", "plan", "publish"}

// Hooked is a store with an import hook (both backends).
type Hooked interface {
	store.Store
	SetImportHook(func(step string))
}

// Opener opens the store at target (a file path or a database URL).
type Opener func(ctx context.Context, target string) (Hooked, error)

const (
	killStepEnv   = "GRIDD_KILL_STEP"
	killTargetEnv = "GRIDD_KILL_TARGET"
)

// KillChildMain belongs in a backend's TestMain: in a child process started
// by KillAtSteps it imports the "new" state with a hook that prints each
// step and, at the step named in the environment, prints "at STEP" and
// waits to be killed; it then never returns. In any other process it
// returns at once.
func KillChildMain(open Opener) {
	step := os.Getenv(killStepEnv)
	if step == "" {
		return
	}
	ctx := context.Background()
	s, err := open(ctx, os.Getenv(killTargetEnv))
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(3)
	}
	s.SetImportHook(func(at string) {
		if at == step {
			fmt.Println("at " + at)
			time.Sleep(time.Hour)
		}
	})
	b, p := ImportInput("new", 72)
	if _, err := s.Import(ctx, store.ImportRequest{Bundle: b, Plan: p, Publish: true}); err != nil {
		fmt.Println("import:", err)
		os.Exit(4)
	}
	os.Exit(0)
}

// KillAtSteps SIGKILLs an import in a child process (this test binary,
// whose TestMain calls KillChildMain) at each named step of the import
// transaction and checks the store then holds exactly the old state; an
// import let run to the end holds exactly the new one.
func KillAtSteps(t *testing.T, target string, open Opener) {
	ctx := ctxT(t)
	s, err := open(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ob, op := ImportInput("old", 71)
	if _, err := s.Import(ctx, store.ImportRequest{Bundle: ob, Plan: op, Publish: true}); err != nil {
		t.Fatal(err)
	}
	old := mustSnapshot(t, s)
	for _, step := range importSteps {
		t.Run(step, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), killStepEnv+"="+step, killTargetEnv+"="+target)
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			lines := bufio.NewScanner(out)
			reached := false
			for lines.Scan() {
				if lines.Text() == "at "+step {
					reached = true
					break
				}
				t.Logf("child: %s", lines.Text())
			}
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			if !reached {
				t.Fatalf("the child never reached step %s", step)
			}
			if got := mustSnapshot(t, s); got != old {
				t.Fatalf("killed at %s: the store holds %+v, want the old state %+v", step, got, old)
			}
		})
	}
	// Not killed: the new state, whole.
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), killStepEnv+"=none", killTargetEnv+"="+target)
	if out, err := cmd.CombinedOutput(); err != nil || strings.TrimSpace(string(out)) != "" {
		t.Fatalf("unkilled child: %v %s", err, out)
	}
	nb, _ := ImportInput("new", 72)
	want := Snapshot{District: "new", Published: "new", Buildings: len(nb.Buildings), Plans: old.Plans + 1}
	if got := mustSnapshot(t, s); got != want {
		t.Fatalf("after the unkilled import: %+v, want %+v", got, want)
	}
}
