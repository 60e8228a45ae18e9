package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestShiftsCommands(t *testing.T) {
	bdir, _, _, _ := storeFiles(t)
	data := t.TempDir()
	wantRun(t, nil, 0, nil, "import", "--bundle", bdir, "--data", data)
	roster := wantRun(t, nil, 0, []string{"id,unit_or_post,start,end,note"}, "shifts", "generate", "--bundle", bdir, "--day", "2026-12-03", "--days", "2")
	lines := strings.Count(roster, "\n") - 1
	if lines < 10 {
		t.Fatalf("generated %d shifts:\n%s", lines, roster)
	}
	file := filepath.Join(t.TempDir(), "shifts.csv")
	if err := os.WriteFile(file, []byte(roster), 0o644); err != nil {
		t.Fatal(err)
	}
	wantRun(t, nil, 0, []string{"replaced the roster", "with " + itoa(lines) + " shifts"}, "shifts", "import", "--data", data, file)
	// Importing again by id changes nothing but the count of updates.
	wantRun(t, nil, 0, []string{"0 shifts created, " + itoa(lines) + " updated"}, "shifts", "import", "--replace=false", "--data", data, file)
	all := wantRun(t, nil, 0, nil, "shifts", "list", "--data", data)
	if all != roster {
		t.Fatalf("list is not the imported roster:\n%s\nwant\n%s", all, roster)
	}
	// The first day's night shift (00-08 CST = 16-24 UTC the day before).
	night := wantRun(t, nil, 0, nil, "shifts", "list", "--data", data, "--from", "2026-12-02T16:00:00Z", "--to", "2026-12-02T16:00:01Z")
	if n := strings.Count(night, "\n") - 1; n == 0 || n >= lines/2 {
		t.Fatalf("%d shifts at the first instant:\n%s", n, night)
	}

	bad := filepath.Join(t.TempDir(), "bad.csv")
	os.WriteFile(bad, []byte("unit_or_post,start,end\nNOBODY,2026-12-03T00:00:00Z,2026-12-03T08:00:00Z\nP1,2026-12-03T00:00:00Z,yesterday\n"), 0o644)
	wantRun(t, nil, 1, []string{"shifts.csv:3:3 end"}, "shifts", "import", "--data", data, bad)
	os.WriteFile(bad, []byte("unit_or_post,start,end\nNOBODY,2026-12-03T00:00:00Z,2026-12-03T08:00:00Z\n"), 0o644)
	wantRun(t, nil, 1, []string{"shifts.csv:2 unit_or_post", "nothing imported"}, "shifts", "import", "--data", data, bad)
	if after := wantRun(t, nil, 0, nil, "shifts", "list", "--data", data); after != roster {
		t.Fatal("a refused import changed the roster")
	}
	wantRun(t, nil, 2, nil, "shifts")
	wantRun(t, nil, 2, nil, "shifts", "import", "--data", data)
	wantRun(t, nil, 2, nil, "shifts", "list", "--from", "noon", "--data", data)
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestImportBundleWithShifts: a bundle folder's shifts.csv is stored by
// gridctl import in the import's transaction; a bad one refuses it all.
func TestImportBundleWithShifts(t *testing.T) {
	bdir, _, _, _ := storeFiles(t)
	data := t.TempDir()
	roster := wantRun(t, nil, 0, nil, "shifts", "generate", "--bundle", bdir, "--day", "2026-12-03")
	if err := os.WriteFile(filepath.Join(bdir, "shifts.csv"), []byte(roster), 0o644); err != nil {
		t.Fatal(err)
	}
	lines := strings.Count(roster, "\n") - 1
	wantRun(t, nil, 0, []string{"read shifts.csv: " + itoa(lines) + " shifts"}, "import", "--bundle", bdir, "--data", data)
	if got := wantRun(t, nil, 0, nil, "shifts", "list", "--data", data); got != roster {
		t.Fatalf("list after import:\n%s\nwant\n%s", got, roster)
	}
	bad := roster + "x,NOBODY,2026-12-03T00:00:00Z,2026-12-03T01:00:00Z,\n"
	if err := os.WriteFile(filepath.Join(bdir, "shifts.csv"), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	wantRun(t, nil, 1, []string{"unit_or_post"}, "import", "--bundle", bdir, "--data", data)
	if got := wantRun(t, nil, 0, nil, "shifts", "list", "--data", data); got != roster {
		t.Fatal("a refused import changed the roster")
	}
}

func TestBundleCheckShifts(t *testing.T) {
	bdir, _, _, _ := storeFiles(t)
	wantRun(t, nil, 0, []string{": ok:"}, "bundle", "check", bdir)
	roster := wantRun(t, nil, 0, nil, "shifts", "generate", "--bundle", bdir, "--day", "2026-12-03")
	os.WriteFile(filepath.Join(bdir, "shifts.csv"), []byte(roster), 0o644)
	wantRun(t, nil, 0, []string{": ok:"}, "bundle", "check", bdir)
	os.WriteFile(filepath.Join(bdir, "shifts.csv"), []byte(roster+"x,NOBODY,2026-12-03T00:00:00Z,2026-12-03T01:00:00Z,\n"), 0o644)
	lines := strings.Count(roster, "\n")
	wantRun(t, nil, 1, []string{"shifts.csv:" + itoa(lines+1) + " unit_or_post"}, "bundle", "check", bdir)
	os.WriteFile(filepath.Join(bdir, "shifts.csv"), []byte("unit_or_post,start,end\nP1,2026-12-03T00:00:00Z,later\n"), 0o644)
	wantRun(t, nil, 1, []string{"shifts.csv:2:3 end"}, "bundle", "check", bdir)
}
