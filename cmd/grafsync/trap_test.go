package main

import (
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/rogpeppe/go-internal/testscript"
)

// cmdTrap runs loopback servers for the hostile fleet scripts:
//
//	trap listen NAME           # a server that must receive nothing; sets NAME
//	                           # (its URL), NAME_HOST (host:port), NAME_PORT
//	trap redirect NAME TO      # answers every request with a 307 to $TO + path; sets NAME, NAME_HOST
//	trap hits NAME N           # NAME accepted exactly N connections
//	trap requests NAME REGEXP  # NAME's requests, joined by "," ("-" for none), match REGEXP
//
// hits counts connections, not requests: a client that dials a trap and
// sends nothing (or only a TLS hello) counts too.
func cmdTrap(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: trap listen NAME | redirect NAME TO | hits NAME N")
	}
	h := harnessOf(ts)
	if h.traps == nil {
		h.traps = map[string]*trap{}
	}
	name := args[1]
	switch args[0] {
	case "listen", "redirect":
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		ts.Check(err)
		tr := &trap{}
		h.traps[name] = tr
		hits := &tr.conns
		var handler http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "trap", http.StatusTeapot)
		})
		if args[0] == "redirect" {
			if len(args) != 3 {
				ts.Fatalf("usage: trap redirect NAME TO")
			}
			to := strings.TrimSuffix(args[2], "/")
			handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, to+r.URL.Path, http.StatusTemporaryRedirect)
			})
		}
		record := handler
		handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			tr.mu.Lock()
			tr.requests = append(tr.requests, r.Method+" "+r.URL.Path)
			tr.mu.Unlock()
			record.ServeHTTP(w, r)
		})
		srv := &http.Server{Handler: handler, ConnState: func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				hits.Add(1)
			}
		}}
		go srv.Serve(ln)
		ts.Defer(func() { srv.Close() })
		addr := ln.Addr().(*net.TCPAddr)
		ts.Setenv(name, "http://"+addr.String())
		ts.Setenv(name+"_HOST", addr.String())
		ts.Setenv(name+"_PORT", strconv.Itoa(addr.Port))
	case "hits", "requests":
		tr, ok := h.traps[name]
		if !ok || len(args) != 3 {
			ts.Fatalf("trap %s %s: no such trap, or no count", args[0], name)
		}
		tr.mu.Lock()
		got := strings.Join(tr.requests, ",")
		tr.mu.Unlock()
		if args[0] == "requests" {
			if got == "" {
				got = "-"
			}
			re, err := regexp.Compile(args[2])
			ts.Check(err)
			if !re.MatchString(got) {
				ts.Fatalf("trap %s answered %s, want a match for %s", name, got, args[2])
			}
			return
		}
		want, err := strconv.Atoi(args[2])
		ts.Check(err)
		if n := int(tr.conns.Load()); n != want {
			ts.Fatalf("trap %s accepted %d connections (requests: %s), want %d", name, n, got, want)
		}
	default:
		ts.Fatalf("trap %s: unknown", args[0])
	}
}

// trap is what one trap server saw.
type trap struct {
	conns    atomic.Int32
	mu       sync.Mutex
	requests []string
}
