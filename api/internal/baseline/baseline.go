// Package baseline is the yardstick of gridd's HTTP speed targets: a bare
// net/http handler that parses two floats and writes a small JSON answer,
// the least any /locate-like endpoint must do. The Go benchmarks and
// scripts/loadtest.sh measure it in the same run as gridd's routes.
package baseline

import (
	"net/http"
	"strconv"
)

// Handler answers ?lon=&lat= with {"lon":..,"lat":..}, or 400.
func Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		lon, err1 := strconv.ParseFloat(q.Get("lon"), 64)
		lat, err2 := strconv.ParseFloat(q.Get("lat"), 64)
		if err1 != nil || err2 != nil {
			http.Error(w, `{"error":"lon and lat must be numbers"}`, http.StatusBadRequest)
			return
		}
		b := make([]byte, 0, 64)
		b = append(b, `{"lon":`...)
		b = strconv.AppendFloat(b, lon, 'f', -1, 64)
		b = append(b, `,"lat":`...)
		b = strconv.AppendFloat(b, lat, 'f', -1, 64)
		b = append(b, "}\n"...)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(b)
	})
}
