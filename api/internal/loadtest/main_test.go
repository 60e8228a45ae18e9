package main

import (
	"bufio"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/gridd/gridd/api/internal/baseline"
)

func TestLoopbackOnly(t *testing.T) {
	for _, hp := range []string{"127.0.0.1:80", "[::1]:8080"} {
		if err := loopback(hp); err != nil {
			t.Errorf("%s: %v", hp, err)
		}
	}
	for _, hp := range []string{"10.0.0.1:80", "example.com:80", "localhost", "8.8.8.8:53"} {
		if loopback(hp) == nil {
			t.Errorf("%s accepted", hp)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	ts := httptest.NewServer(http.NewServeMux())
	defer ts.Close()
	mux := http.NewServeMux()
	mux.Handle("/", baseline.Handler())
	ts.Config.Handler = mux
	u, _ := url.Parse(ts.URL)
	c, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	br := bufio.NewReader(c)
	for _, tc := range []struct {
		path   string
		status int
	}{{"/?lon=1&lat=2", 200}, {"/?lon=x", 400}, {"/?lon=3&lat=4", 200}} {
		req := []byte("GET " + tc.path + " HTTP/1.1\r\nHost: " + u.Host + "\r\n\r\n")
		st, err := roundTrip(c, br, req)
		if err != nil || st != tc.status {
			t.Errorf("%s: %d %v", tc.path, st, err)
		}
	}
}
