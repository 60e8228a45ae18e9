package api

import (
	"bytes"
	"context"
	"net/http"
	"testing"

	"github.com/gridd/gridd/gridplan"
)

// FuzzPlanGridsUpload: no body makes POST /plans/{id}/grids answer 5xx,
// and a refused upload leaves the draft's grids as they were.
func FuzzPlanGridsUpload(f *testing.F) {
	_, st, ts := newTestServer(f)
	before, err := st.Plan(context.Background(), 2)
	if err != nil || before.Status != gridplan.Draft {
		f.Fatalf("test store's plan 2: %v %+v", err, before)
	}
	var good bytes.Buffer
	if err := gridplan.WriteGeoJSON(&good, before.Grids); err != nil {
		f.Fatal(err)
	}
	f.Add(good.Bytes())
	f.Add([]byte(`{"type":"FeatureCollection","features":[]}`))
	f.Add([]byte(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"1"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[0,0]]]}}]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		status, out := postRaw(t, ts, "/plans/2/grids", "application/geo+json", plannerSecret, body)
		if status >= 500 {
			t.Fatalf("%d for %q: %s", status, body, out)
		}
		after, err := st.Plan(context.Background(), 2)
		if err != nil {
			t.Fatal(err)
		}
		if status != http.StatusOK && len(after.Grids) != len(before.Grids) {
			t.Fatalf("refused upload (%d) changed the draft: %d grids, had %d", status, len(after.Grids), len(before.Grids))
		}
	})
}
