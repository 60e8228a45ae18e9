package bundle_test

import (
	"fmt"

	"github.com/gridd/gridd/bundle"
)

func ExampleCheck() {
	b := mini()
	// Shrink one community so that it leaves a 0.0001° (≈ 9 m) strip of its
	// street uncovered, and give a worker an unknown community.
	b.Communities[0].Geom = rect(118.60, 32.00, 118.6099, 32.01)
	b.Workers[1].Community = "320111001009"
	for _, p := range bundle.Check(b) {
		fmt.Printf("%s: %s\n", p.Field, p.Msg)
	}
	// Output:
	// streets.geojson: feature 0: gap of 10508.5 m² near (118.609950, 32.005000) covered by no community
	// workers.csv:3: id W1: community_code 320111001009 is not in communities.geojson
}
