// farrier-microworker: a queue-group worker built on nats.go's micro package, the reference
// implementation of the NATS service API (ADR-32). It mirrors farrier-sample-worker
// (exporter/samples), whose micro API is written by hand, so the tests can check farrier's
// $SRV.STATS reading against what the reference library really reports.
//
// nats.go calls an endpoint's handler serially, one request at a time, and counts a request
// in STATS when the handler returns, with the handler's duration as its processing time:
//
//   - --concurrency 1 --overflow queue: the handler serves the request itself (sleeps the
//     service time, then replies), the way most micro services are written; later requests
//     wait in the subscription's pending queue. STATS processing_time is the service time.
//   - otherwise the handler takes one of C slots and serves the request on a goroutine (drop:
//     no free slot means the request is ignored and times out at the requester; queue: the
//     handler waits for a slot). The handler returns once the request is handed over, so STATS
//     counts every request delivered, dropped ones included, and processing_time is the
//     hand-over time (microseconds, or the wait for a slot), not the service time. That is
//     what any Go service gets that answers concurrently on one micro endpoint.
//
// With --error-rate F a fraction F of the requests gets an error reply (micro's Error,
// code 500): after the service time when serving inline, at once (without a slot) otherwise,
// because nats.go reads the error when the handler returns.
//
// Prints "ready" once the service is registered and the server has its subscriptions; on
// SIGTERM/SIGINT stops the service, waits up to 5 s for the requests in service, drains the
// connection and prints one JSON line:
// {"received":..,"replied":..,"errors":..,"dropped":..}
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"
)

type options struct {
	url, subject, queue, overflow, name string
	microName, microVersion, endpoint   string
	concurrency                         int
	serviceTime                         time.Duration
	errorRate                           float64
	version                             bool
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("farrier-microworker", flag.ContinueOnError)
	fs.StringVar(&o.url, "url", nats.DefaultURL, "NATS server URL")
	fs.StringVar(&o.subject, "subject", "api.echo", "subject of the service's endpoint")
	fs.StringVar(&o.queue, "queue", "workers", "queue group of the endpoint")
	fs.IntVar(&o.concurrency, "concurrency", 4, "requests served at once (C)")
	fs.DurationVar(&o.serviceTime, "service-time", 20*time.Millisecond, "time to serve one request")
	fs.StringVar(&o.overflow, "overflow", "drop", "a request that finds every slot busy: drop or queue")
	fs.StringVar(&o.name, "name", "farrier-microworker", "NATS connection name")
	fs.StringVar(&o.microName, "micro-name", "Echo", "micro service name")
	fs.StringVar(&o.microVersion, "micro-version", "1.0.0", "micro service version (SemVer)")
	fs.StringVar(&o.endpoint, "micro-endpoint", "", "endpoint name (default: the last token of --subject)")
	fs.Float64Var(&o.errorRate, "error-rate", 0, "fraction of requests answered with a micro error (500)")
	fs.BoolVar(&o.version, "version", false, "print the nats.go version built in and exit")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if o.concurrency < 1 {
		return o, errors.New("--concurrency must be >= 1")
	}
	if o.overflow != "drop" && o.overflow != "queue" {
		return o, errors.New("--overflow: drop or queue")
	}
	if o.serviceTime < 0 {
		return o, errors.New("--service-time must not be negative")
	}
	if !(o.errorRate >= 0 && o.errorRate <= 1) {
		return o, errors.New("--error-rate: a fraction from 0 to 1")
	}
	if o.endpoint == "" {
		o.endpoint = o.subject[lastDot(o.subject)+1:]
	}
	return o, nil
}

func lastDot(s string) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '.' {
			return i
		}
	}
	return -1
}

// natsGoVersion is the version of github.com/nats-io/nats.go linked in, from the build info.
func natsGoVersion() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, m := range info.Deps {
			if m.Path == "github.com/nats-io/nats.go" {
				return m.Version
			}
		}
	}
	return "unknown"
}

// worker serves one endpoint; its counters are what the exit line reports.
type worker struct {
	o                                   options
	slots                               chan struct{} // one token per request in service
	inService                           sync.WaitGroup
	busy                                atomic.Int64 // requests handed to goroutines, not yet answered
	received, replied, errored, dropped atomic.Int64
}

func (w *worker) failNow() bool { return w.o.errorRate > 0 && rand.Float64() < w.o.errorRate }

// serve waits out the service time and answers: the payload echoed, or a micro error.
func (w *worker) serve(req micro.Request, fail bool) {
	time.Sleep(w.o.serviceTime)
	w.answer(req, fail)
}

func (w *worker) answer(req micro.Request, fail bool) {
	var err error
	if fail {
		err = req.Error("500", "simulated failure", nil)
	} else {
		err = req.Respond(req.Data())
	}
	if err == nil {
		w.replied.Add(1)
		if fail {
			w.errored.Add(1)
		}
	}
}

func (w *worker) handle(req micro.Request) {
	w.received.Add(1)
	fail := w.failNow()
	if w.slots == nil { // C = 1, queue: serve here, nats.go times the service
		w.serve(req, fail)
		return
	}
	if fail {
		w.answer(req, true)
		return
	}
	if w.o.overflow == "queue" {
		w.slots <- struct{}{}
	} else {
		select {
		case w.slots <- struct{}{}:
		default:
			w.dropped.Add(1)
			return
		}
	}
	w.inService.Add(1)
	w.busy.Add(1)
	go func() {
		defer w.inService.Done()
		defer func() { <-w.slots }()
		w.serve(req, false)
		w.busy.Add(-1)
	}()
}

func run() error {
	o, err := parseFlags(os.Args[1:])
	if err != nil {
		return err
	}
	if o.version {
		fmt.Printf("farrier-microworker (nats.go %s)\n", natsGoVersion())
		return nil
	}
	w := &worker{o: o}
	if o.concurrency > 1 || o.overflow == "drop" {
		w.slots = make(chan struct{}, o.concurrency)
	}
	closed := make(chan struct{})
	nc, err := nats.Connect(o.url, nats.Name(o.name), nats.ClosedHandler(func(*nats.Conn) { close(closed) }))
	if err != nil {
		return fmt.Errorf("connect %s: %w", o.url, err)
	}
	svc, err := micro.AddService(nc, micro.Config{
		Name:        o.microName,
		Version:     o.microVersion,
		Description: "farrier-microworker: echoes requests after a simulated service time",
		Metadata:    map[string]string{"concurrency": strconv.Itoa(o.concurrency), "overflow": o.overflow},
	})
	if err != nil {
		return fmt.Errorf("micro.AddService: %w", err)
	}
	// No pending limits: the overflow policy is ours, not the client library's slow-consumer drop.
	err = svc.AddEndpoint(o.endpoint, micro.HandlerFunc(w.handle), micro.WithEndpointSubject(o.subject),
		micro.WithEndpointQueueGroup(o.queue), micro.WithEndpointPendingLimits(-1, -1))
	if err != nil {
		return fmt.Errorf("AddEndpoint %s on %s: %w", o.endpoint, o.subject, err)
	}
	if err := nc.Flush(); err != nil {
		return fmt.Errorf("flush: %w", err)
	}
	fmt.Println("ready")

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	<-stop
	// Unsubscribe (micro drains the endpoint), let the requests in service be answered (up to
	// 5 s), then drain the connection: once it is closed no handler runs any more.
	if err := svc.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "farrier-microworker: stop:", err)
	}
	for deadline := time.Now().Add(5 * time.Second); w.busy.Load() > 0 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	if err := nc.Drain(); err != nil {
		fmt.Fprintln(os.Stderr, "farrier-microworker: drain:", err)
	}
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		fmt.Fprintln(os.Stderr, "farrier-microworker: the connection was not closed 10 s after draining")
	}
	w.inService.Wait() // a request still in service now gets no answer (the connection is closed)
	line, _ := json.Marshal(map[string]int64{"received": w.received.Load(), "replied": w.replied.Load(),
		"errors": w.errored.Load(), "dropped": w.dropped.Load()})
	fmt.Println(string(line))
	return nil
}

func main() {
	if err := run(); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "farrier-microworker:", err)
		}
		os.Exit(2)
	}
}
