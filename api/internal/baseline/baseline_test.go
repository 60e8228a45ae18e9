package baseline

import (
	"net/http/httptest"
	"testing"
)

func TestHandler(t *testing.T) {
	tests := []struct {
		query  string
		status int
		body   string
	}{
		{"lon=118.62&lat=32.06", 200, "{\"lon\":118.62,\"lat\":32.06}\n"},
		{"lon=x&lat=1", 400, ""},
		{"lat=1", 400, ""},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			rec := httptest.NewRecorder()
			Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/?"+tc.query, nil))
			if rec.Code != tc.status || (tc.body != "" && rec.Body.String() != tc.body) {
				t.Errorf("%d %q", rec.Code, rec.Body.String())
			}
		})
	}
}
