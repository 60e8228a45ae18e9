// Command loadtest is scripts/loadtest.sh's helper: it serves the baseline
// handler (the bare net/http yardstick), and measures latency percentiles
// at a fixed request rate (an open-loop client, which wrk is not, so that
// p99 at half the peak rate is not hidden by coordinated omission). It
// only talks to loopback addresses.
package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gridd/gridd/api/internal/baseline"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(2)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: loadtest baseline ADDR | loadtest get URL | loadtest rate -url URL -rps N -duration D")
	}
	switch args[0] {
	case "baseline":
		if len(args) != 2 {
			return fmt.Errorf("usage: loadtest baseline 127.0.0.1:PORT")
		}
		if err := loopback(args[1]); err != nil {
			return err
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		defer stop()
		srv := &http.Server{Addr: args[1], Handler: baseline.Handler(), ReadHeaderTimeout: 5 * time.Second}
		go func() { <-ctx.Done(); _ = srv.Close() }()
		if err := srv.ListenAndServe(); err != nil && err != http.ErrServerClosed {
			return err
		}
		return nil
	case "get":
		// A tiny curl for the script: print the body, fail unless 200.
		if len(args) != 2 {
			return fmt.Errorf("usage: loadtest get URL")
		}
		pu, err := url.Parse(args[1])
		if err != nil {
			return err
		}
		if err := loopback(pu.Host); err != nil {
			return err
		}
		c := &http.Client{Timeout: 10 * time.Second}
		res, err := c.Get(args[1])
		if err != nil {
			return err
		}
		defer res.Body.Close()
		if _, err := io.Copy(os.Stdout, res.Body); err != nil {
			return err
		}
		if res.StatusCode != http.StatusOK {
			return fmt.Errorf("%s: status %d", args[1], res.StatusCode)
		}
		return nil
	case "rate":
		fs := flag.NewFlagSet("rate", flag.ContinueOnError)
		u := fs.String("url", "", "URL to request (loopback only)")
		rps := fs.Int("rps", 1000, "requests per second")
		d := fs.Duration("duration", 10*time.Second, "how long (at most 60s)")
		conns := fs.Int("conns", 64, "maximum concurrent requests")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		pu, err := url.Parse(*u)
		if err != nil {
			return err
		}
		if err := loopback(pu.Host); err != nil {
			return err
		}
		if *d > time.Minute || *rps <= 0 {
			return fmt.Errorf("duration must be ≤ 60s and rps positive")
		}
		return rate(*u, *rps, *d, *conns)
	}
	return fmt.Errorf("unknown mode %q", args[0])
}

func loopback(hostport string) error {
	h, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(h); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%s is not a loopback address; loadtest only targets 127.0.0.1", hostport)
	}
	return nil
}

// rate sends requests on a fixed schedule from conns workers, each with
// one keep-alive connection and a minimal HTTP/1.1 client (net/http's
// client costs more CPU than the server under test, and the load generator
// shares the cores). Each request's latency counts from its scheduled
// start, so a stalled server shows up in the tail.
func rate(u string, rps int, d time.Duration, conns int) error {
	pu, err := url.Parse(u)
	if err != nil {
		return err
	}
	req := []byte("GET " + pu.RequestURI() + " HTTP/1.1\r\nHost: " + pu.Host + "\r\nUser-Agent: gridd-loadtest\r\n\r\n")
	n := int(float64(rps) * d.Seconds())
	lat := make([]time.Duration, n)
	var errCount, non200 atomic.Int64
	interval := time.Second / time.Duration(rps)
	start := time.Now().Add(50 * time.Millisecond)
	var wg sync.WaitGroup
	for w := 0; w < conns; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			var c net.Conn
			var br *bufio.Reader
			for i := w; i < n; i += conns {
				due := start.Add(time.Duration(i) * interval)
				if wait := time.Until(due); wait > 0 {
					time.Sleep(wait)
				}
				if c == nil {
					var err error
					if c, err = net.Dial("tcp", pu.Host); err != nil {
						errCount.Add(1)
						lat[i] = time.Since(due)
						continue
					}
					br = bufio.NewReaderSize(c, 64<<10)
				}
				status, err := roundTrip(c, br, req)
				lat[i] = time.Since(due)
				if err != nil {
					errCount.Add(1)
					c.Close()
					c = nil
					continue
				}
				if status != 200 {
					non200.Add(1)
				}
			}
			if c != nil {
				c.Close()
			}
		}(w)
	}
	wg.Wait()
	el := time.Since(start)
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	fmt.Printf("requests %d in %.1fs (target %d/s, achieved %.0f/s) errors %d non-200 %d\n", n, el.Seconds(), rps, float64(n)/el.Seconds(), errCount.Load(), non200.Load())
	fmt.Printf("latency p50 %.3fms p90 %.3fms p99 %.3fms max %.3fms\n",
		ms(pct(0.50)), ms(pct(0.90)), ms(pct(0.99)), ms(lat[len(lat)-1]))
	return nil
}

// roundTrip writes req and reads one response with a Content-Length body.
func roundTrip(c net.Conn, br *bufio.Reader, req []byte) (int, error) {
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write(req); err != nil {
		return 0, err
	}
	line, err := br.ReadSlice('\n')
	if err != nil {
		return 0, err
	}
	if len(line) < 12 {
		return 0, fmt.Errorf("short status line %q", line)
	}
	status, err := strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, err
	}
	length := -1
	for {
		h, err := br.ReadSlice('\n')
		if err != nil {
			return 0, err
		}
		if len(h) <= 2 {
			break
		}
		if k, v, ok := bytes.Cut(h, []byte(":")); ok && bytes.EqualFold(k, []byte("Content-Length")) {
			if length, err = strconv.Atoi(string(bytes.TrimSpace(v))); err != nil {
				return 0, err
			}
		}
	}
	if length < 0 && status != 204 && status != 304 {
		return 0, fmt.Errorf("response without Content-Length")
	}
	if length > 0 {
		if _, err := br.Discard(length); err != nil {
			return 0, err
		}
	}
	return status, nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
