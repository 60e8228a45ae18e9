package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"time"

	"github.com/gridd/gridd/internal/sim"
)

// cmdSimulate is `gridctl simulate`: a realistic day against a running
// gridd through its HTTP API (see internal/sim).
func cmdSimulate(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "simulate")
	var c sim.Config
	fs.StringVar(&c.URL, "url", "http://localhost:8080", "gridd's base URL")
	fs.StringVar(&c.Key, "key", e.getenv("GRIDD_API_KEY"), "API key (GRIDD_API_KEY); a dispatcher key also moves units and drives cases")
	fs.Float64Var(&c.Rate, "rate", 50, "reports a second (open loop: sent on schedule whatever the server's pace)")
	fs.DurationVar(&c.Duration, "duration", time.Minute, "how long reports are sent")
	fs.Int64Var(&c.Seed, "seed", 1, "the run's reports and decisions follow from the seed (external ids are sim-SEED-N)")
	ackLog := fs.String("ack-log", "", "file to write every acknowledged incident id to, one a line")
	timeline := fs.String("timeline", "", "CSV file of every report's first attempt: seq, due, sent and answered (ms since the start), status, new TCP connection")
	fs.IntVar(&c.Workers, "workers", 64, "concurrent first attempts (retries run beside them)")
	fs.DurationVar(&c.Timeout, "timeout", 10*time.Second, "one request's timeout")
	fs.DurationVar(&c.MaxRetry, "max-retry", 2*time.Minute, "how long one report is retried before it counts as failed")
	fs.Float64Var(&c.CaseShare, "case-share", 0.1, "share of new cases driven to evaluation (dispatcher key)")
	fs.DurationVar(&c.StepDelay, "step-delay", 300*time.Millisecond, "mean pause between a case's steps")
	fs.Float64Var(&c.LoseShare, "lose-share", 0.01, "share of reports whose first answer is lost (the client gives up after a few ms and retries)")
	fs.DurationVar(&c.PositionsEvery, "positions-every", 2*time.Second, "how often units report positions (0: never)")
	fs.DurationVar(&c.Drain, "drain", 30*time.Second, "how long cases in progress may finish after --duration")
	fs.DurationVar(&c.ProgressEvery, "progress", 5*time.Second, "how often a progress line goes to stderr")
	if err := parseFlags(e, fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	if c.Rate <= 0 || c.Duration <= 0 || c.Workers <= 0 || c.CaseShare < 0 || c.CaseShare > 1 || c.LoseShare < 0 || c.LoseShare > 1 {
		return fmt.Errorf("%w: --rate, --duration and --workers must be positive, --case-share and --lose-share in [0, 1]", errUsage)
	}
	c.Progress = e.stderr
	var (
		f *os.File
		w *bufio.Writer
	)
	if *ackLog != "" {
		var err error
		if f, err = os.OpenFile(*ackLog, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644); err != nil {
			return err
		}
		defer f.Close()
		w = bufio.NewWriterSize(f, 64<<10)
		c.AckLog = w
	}
	var tw *bufio.Writer
	if *timeline != "" {
		tf, err := os.OpenFile(*timeline, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
		if err != nil {
			return err
		}
		defer tf.Close()
		tw = bufio.NewWriterSize(tf, 64<<10)
		tw.WriteString(sim.TimelineHeader)
		c.Timeline = tw
	}
	sum, err := sim.Run(ctx, c)
	if tw != nil {
		if ferr := tw.Flush(); ferr != nil && err == nil {
			err = ferr
		}
	}
	if w != nil {
		if ferr := w.Flush(); ferr != nil && err == nil {
			err = ferr
		}
		if ferr := f.Sync(); ferr != nil && err == nil {
			err = ferr
		}
		if ferr := f.Close(); ferr != nil && err == nil {
			err = ferr
		}
	}
	if sum != nil {
		sum.Print(e.stdout)
	}
	return err
}
