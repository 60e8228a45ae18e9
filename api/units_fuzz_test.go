package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/gridd/gridd/dispatch"
	"github.com/gridd/gridd/store"
)

// FuzzPositionReports: any body is answered without a 5xx, and a refused
// batch changes nothing (no unit moves, no report is stored).
func FuzzPositionReports(f *testing.F) {
	us := newUnitServer(f)
	f.Add([]byte(`[{"unit":"P11","lon":118.62,"lat":32.05,"at":"2026-08-01T09:00:00Z","status":"available"}]`))
	f.Add([]byte(`[{"unit":"P11","lon":118.62,"lat":32.05,"at":"2026-08-01T09:00:00Z","status":"available"},{"unit":"P12","lon":1e999,"lat":32,"at":"x","status":"busy"}]`))
	f.Add([]byte(`[{"unit":"P12","lon":118.62,"lat":32.05,"crs":"gcj02","at":"2026-08-01T09:00:00.123456789+08:00","status":"off_duty"}]`))
	f.Add([]byte(`[{"unit":"nobody","lon":0,"lat":0,"at":"2026-08-01T09:00:00Z","status":"busy"}]`))
	f.Add([]byte(`[{"unit":"","lon":-180,"lat":90,"at":"0001-01-01T00:00:00Z","status":"available"}]`))
	f.Add([]byte(`[null]`))
	f.Add([]byte(`{}`))
	f.Add([]byte(``))
	ctx := context.Background()
	client := &http.Client{Timeout: 10 * time.Second}
	state := func(t *testing.T) string {
		t.Helper()
		us, err := us.st.Units(ctx, store.UnitFilter{})
		if err != nil {
			t.Fatal(err)
		}
		s := ""
		for _, u := range us {
			s += fmt.Sprintf("%s %v %v %s;", u.ID, u.Loc, u.ReportedAt, u.ReportedStatus)
		}
		return s
	}
	history := func(t *testing.T) int {
		t.Helper()
		n := 0
		for _, id := range []string{"P11", "P12", "P21", "P22"} {
			tr, err := us.st.Track(ctx, id, time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC))
			if err != nil {
				t.Fatal(err)
			}
			n += len(tr)
		}
		return n
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		before, hb := state(t), history(t)
		req, _ := http.NewRequest("POST", us.ts.URL+"/units/positions", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-API-Key", fleetSecret)
		res, err := client.Do(req)
		if err != nil {
			t.Fatalf("%q: %v", body, err)
		}
		out, _ := io.ReadAll(res.Body)
		res.Body.Close()
		code := res.StatusCode
		if code >= 500 {
			t.Fatalf("%d for %q: %s", code, body, out)
		}
		if code != 200 {
			if after := state(t); after != before {
				t.Fatalf("a refused batch (%d) moved units", code)
			}
			if ha := history(t); ha != hb {
				t.Fatalf("a refused batch (%d) stored %d reports", code, ha-hb)
			}
		}
	})
}

// FuzzParsePositions: the one-pass decode and the report-by-report
// decode agree on every body (same reports, or an error either way).
func FuzzParsePositions(f *testing.F) {
	f.Add([]byte(`[{"unit":"P11","lon":118.62,"lat":32.05,"at":"2026-08-01T09:00:00Z","status":"available"}]`))
	f.Add([]byte(`[{"unit":"P11","lon":118.62,"lat":32.05,"crs":"bd09","at":"2026-08-01T09:00:00Z","status":"busy"},null]`))
	f.Add([]byte(`[{"unit":"P11","lon":"1","lat":32.05,"at":"2026-08-01T09:00:00Z","status":"available","x":1}]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := parsePositions(body)
		var raw []json.RawMessage
		if json.Unmarshal(body, &raw) != nil || len(raw) == 0 || len(raw) > store.MaxReportBatch {
			if err == nil {
				t.Fatalf("%q parsed", body)
			}
			return
		}
		var slowErr error
		var slow []dispatch.PositionReport
		for i, m := range raw {
			r, err := parsePosition(m)
			if err != nil {
				slowErr = dispatch.AtIndex(i, err)
				break
			}
			slow = append(slow, r)
		}
		if fmt.Sprint(err) != fmt.Sprint(slowErr) {
			t.Fatalf("%q: one pass %v, report by report %v", body, err, slowErr)
		}
		if err == nil && fmt.Sprint(got) != fmt.Sprint(slow) {
			t.Fatalf("%q: %v vs %v", body, got, slow)
		}
	})
}
