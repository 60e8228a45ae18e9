package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/fixtures"
)

func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(context.Background(), args, &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }})
	return code, out.String(), errb.String()
}

// TestBundleCheck runs `gridctl bundle check` on the Pukou bundle and on
// broken copies; each breakage must be reported with file and feature or
// row, and only a clean bundle exits 0.
func TestBundleCheck(t *testing.T) {
	pukou, err := fixtures.LoadPukou()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		break_ func(b *bundle.Bundle)
		after  func(t *testing.T, dir string) // edits the written files
		code   int
		want   []string
	}{
		{name: "clean", code: 0, want: []string{"ok: 15 streets, 125 communities"}},
		{name: "gap", break_: func(b *bundle.Bundle) {
			b.Communities = append(b.Communities[:5], b.Communities[6:]...)
		}, code: 1, want: []string{"streets.geojson: feature 0: gap of"}},
		{name: "overlap", break_: func(b *bundle.Bundle) {
			g := b.Communities[20].Geom.Clone()
			for _, p := range g {
				for _, r := range p {
					for i := range r {
						r[i][1] += 0.0003
					}
				}
			}
			b.Communities[20].Geom = g
		}, code: 1, want: []string{"communities.geojson: feature ", "overlaps community"}},
		{name: "bad code nesting", break_: func(b *bundle.Bundle) {
			b.Communities[3].Street = "320111002"
		}, code: 1, want: []string{"communities.geojson: feature 3: code 320111001020 does not start with its street_code 320111002"}},
		{name: "duplicate code", break_: func(b *bundle.Bundle) {
			b.Streets[2].Code = b.Streets[1].Code
		}, code: 1, want: []string{"streets.geojson: feature 2: duplicate code 320111002 (also feature 1)"}},
		{name: "building outside", break_: func(b *bundle.Bundle) {
			b.Buildings[9].Loc[0] = 118.9
		}, code: 1, want: []string{"buildings.csv:11: id 10 at (118.9000000,", "is outside every community"}},
		{name: "bad CSV", after: func(t *testing.T, dir string) {
			f, err := os.OpenFile(filepath.Join(dir, bundle.WorkersFile), os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.WriteString("W9999,张三\n")
			f.Close()
		}, code: 1, want: []string{"workers.csv:3040: wrong number of fields"}},
		{name: "bad number", after: func(t *testing.T, dir string) {
			p := filepath.Join(dir, bundle.BuildingsFile)
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.SplitN(string(data), "\n", 4)
			f := strings.Split(lines[2], ",")
			f[3] = "-3"
			lines[2] = strings.Join(f, ",")
			os.WriteFile(p, []byte(strings.Join(lines, "\n")), 0o644)
		}, code: 1, want: []string{"buildings.csv:3 households: -3, want at least 1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// A copy whose slices the case may change; geometries are
			// shared, so cases clone before editing one.
			b := *pukou
			b.Streets = slices.Clone(pukou.Streets)
			b.Communities = slices.Clone(pukou.Communities)
			b.Buildings = slices.Clone(pukou.Buildings)
			if tc.break_ != nil {
				tc.break_(&b)
			}
			dir := t.TempDir()
			if err := bundle.Write(dir, &b); err != nil {
				t.Fatal(err)
			}
			if tc.after != nil {
				tc.after(t, dir)
			}
			code, out, errOut := run(t, "bundle", "check", dir)
			if code != tc.code {
				t.Errorf("exit %d, want %d; stdout:\n%s\nstderr: %s", code, tc.code, out, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			if tc.code != 0 && !strings.Contains(errOut, "problem(s)") {
				t.Errorf("stderr %q should count the problems", errOut)
			}
		})
	}
}

func TestBundleCheckUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"bundle", "-h"}, 0, "usage: gridctl bundle check DIR"},
		{[]string{"bundle"}, 2, "want a subcommand"},
		{[]string{"bundle", "lint", "x"}, 2, `unknown subcommand "lint"`},
		{[]string{"bundle", "check"}, 2, "want exactly one bundle folder"},
		{[]string{"bundle", "check", "--nope", "x"}, 2, "flag provided but not defined"},
		{[]string{"bundle", "check", "/does/not/exist"}, 1, "no such file"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, _, errOut := run(t, tc.args...)
			if code != tc.code || !strings.Contains(errOut, tc.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errOut, tc.code, tc.want)
			}
			if tc.code == 2 && strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
				t.Errorf("bad usage should give a one-line reason, got %q", errOut)
			}
		})
	}
}
