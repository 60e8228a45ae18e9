package store

import (
	"reflect"
	"testing"

	"github.com/uber/h3-go/v4"

	"github.com/gridd/gridd/gridplan"
)

func TestPackUnitsRoundTrip(t *testing.T) {
	c := h3.LatLngToCell(h3.LatLng{Lat: 32.06, Lng: 118.62}, 11)
	var us []gridplan.Unit
	for i, d := range h3.GridDisk(c, 1) {
		us = append(us, gridplan.Unit{ID: gridplan.UnitID(d), Grid: "320111001001001", Households: i * 7})
	}
	got, err := UnpackUnits("320111001001001", PackUnits(us))
	if err != nil || !reflect.DeepEqual(got, us) {
		t.Fatalf("round trip: %v, %v", got, err)
	}
	if got, err := UnpackUnits("320111001001001", nil); err != nil || len(got) != 0 {
		t.Fatalf("empty: %v, %v", got, err)
	}
}

// FuzzUnpackUnits: a blob is read back as units that pack to the same
// bytes, or refused; never a panic.
func FuzzUnpackUnits(f *testing.F) {
	c := h3.LatLngToCell(h3.LatLng{Lat: 32.06, Lng: 118.62}, 11)
	f.Add(PackUnits([]gridplan.Unit{{ID: gridplan.UnitID(c), Households: 3}}))
	f.Add([]byte{1, 2, 3})
	f.Add(make([]byte, 12))
	f.Fuzz(func(t *testing.T, blob []byte) {
		us, err := UnpackUnits("320111001001001", blob)
		if err != nil {
			return
		}
		if back := PackUnits(us); !reflect.DeepEqual(back, blob) && len(blob) > 0 {
			t.Fatalf("%x unpacked to %v, packs to %x", blob, us, back)
		}
	})
}
