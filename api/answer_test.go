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
	cache := &answerCache{}
	for pass := 0; pass < 2; pass++ { // the second pass is served from the cache
		for i, a := range answers {
			want, err := json.Marshal(a)
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, '\n')
			for _, c := range []*answerCache{nil, cache} {
				var buf bytes.Buffer
				if appendAnswer(&buf, a, c) && !bytes.Equal(buf.Bytes(), want) {
					t.Fatalf("answer %d (cache %v):\n got %s\nwant %s", i, c != nil, buf.Bytes(), want)
				}
			}
		}
	}
	var buf bytes.Buffer
	if appendAnswer(&buf, &odd, nil) {
		t.Error("awkward answer not handed to encoding/json")
	}
	if !appendAnswer(&buf, answers[0], nil) {
		t.Error("plain answer handed to encoding/json")
	}
}
