package api

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/dispatch"
)

// TestAppendAnswerMatchesEncodingJSON checks the hand-written /locate
// encoder writes exactly what encoding/json writes, for real answers over
// the test district and for awkward values; a field added to
// dispatch.Answer makes this fail until the encoder learns it.
func TestAppendAnswerMatchesEncodingJSON(t *testing.T) {
	b, grids := testDistrict(3)
	d, err := dispatch.NewDirectory(b, grids, nil)
	if err != nil {
		t.Fatal(err)
	}
	var answers []*dispatch.Answer
	seed := uint64(11)
	t.Logf("seed %d", seed)
	rng := newRand(seed)
	for i := 0; i < 300; i++ {
		a, err := d.Locate(118.60+0.04*rng.Float64(), 32.00+0.02*rng.Float64(), rng.IntN(4))
		if err != nil {
			t.Fatal(err)
		}
		answers = append(answers, a)
	}
	odd := *answers[0]
	odd.Street.Name = `<"quoted"> & \ back` + "\n\u2028"
	odd.Community.Name = "bad \xff utf8"
	odd.Grid = nil
	odd.Subcentre = nil
	odd.Workers = nil
	odd.Patrols = []dispatch.PatrolRef{{ID: "p", Callsign: "c", Street: bundle.StreetCode("320111001"), DistanceM: 1e-9}, {ID: "q", DistanceM: 123456789.125}}
	answers = append(answers, &odd)
	for i, a := range answers {
		want, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, '\n')
		var buf bytes.Buffer
		if appendAnswer(&buf, a) && !bytes.Equal(buf.Bytes(), want) {
			t.Fatalf("answer %d:\n got %s\nwant %s", i, buf.Bytes(), want)
		}
	}
	var buf bytes.Buffer
	if appendAnswer(&buf, &odd) {
		t.Error("awkward answer not handed to encoding/json")
	}
	if !appendAnswer(&buf, answers[0]) {
		t.Error("plain answer handed to encoding/json")
	}
}
