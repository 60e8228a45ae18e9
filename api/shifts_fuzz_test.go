package api

import (
	"strings"
	"testing"
)

// FuzzPostShifts: any body, either media type, is answered below 500;
// a refused body stores nothing and publishes nothing.
func FuzzPostShifts(f *testing.F) {
	f.Add(true, `[{"subject":"P1","start":"2026-12-03T00:00:00Z","end":"2026-12-03T08:00:00Z"}]`)
	f.Add(true, `[{"subject":"P1","start":"2026-12-03T00:00:00Z","end":"2026-12-03T00:00:00Z"}]`)
	f.Add(true, `[{"id":"a\u0000","subject":"C","start":"2026-12-03T00:00:00+08:00","end":"2026-12-04T00:00:00+08:00","note":"x"}]`)
	f.Add(false, "unit_or_post,start,end\nP1,2026-12-03T00:00:00Z,2026-12-03T08:00:00Z\n")
	f.Add(false, "id,note,unit_or_post,start,end\n\"a\n")
	_, rec, ts := newShiftServer(f)
	f.Fuzz(func(t *testing.T, isJSON bool, body string) {
		ct := "text/csv"
		if isJSON {
			ct = "application/json"
		}
		before := len(rec.types())
		code, m := send(t, ts, "POST", "/shifts?replace=true", ct, dispSecret, body)
		if code >= 500 {
			t.Fatalf("%d for %q: %v", code, body, m)
		}
		if code != 200 {
			if f, _ := m["field"].(string); f == "" {
				t.Fatalf("%d without a field for %q: %v", code, body, m)
			}
			if len(rec.types()) != before {
				t.Fatal("a refused body published an event")
			}
			if isJSON && !strings.HasPrefix(m["field"].(string), "[") && m["field"] != "body" {
				t.Fatalf("JSON problem names %v", m["field"])
			}
		}
	})
}
