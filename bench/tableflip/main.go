// A small HTTP server upgraded with cloudflare/tableflip, the Go reference the benchmark
// compares the starter with. It follows tableflip's own net/http example: SIGHUP calls
// Upgrade, the new process inherits the listener, and once it is ready the old process
// drains with http.Server.Shutdown (30 s at most) and exits.
//
// It answers like the sample app: GET / and GET /slow?ms=N, with X-Generation and X-Pid.
//
// Build offline, in GOPATH mode, against Debian's golang-github-cloudflare-tableflip-dev:
//
//	GO111MODULE=off GOPATH=/usr/share/gocode:$TMP/gopath go build -o tfserver bench/tableflip/main.go
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/cloudflare/tableflip"
)

const generationVar = "ZD_BENCH_GENERATION"

func main() {
	listen := flag.String("listen", "127.0.0.1:8080", "address to listen on")
	pidFile := flag.String("pid-file", "", "path to the pid file")
	flag.Parse()

	generation, err := strconv.Atoi(os.Getenv(generationVar))
	if err != nil || generation < 1 {
		generation = 1
	}
	pid := os.Getpid()
	log.SetPrefix(fmt.Sprintf("gen %d pid %d ", generation, pid))

	upg, err := tableflip.New(tableflip.Options{PIDFile: *pidFile, UpgradeTimeout: time.Minute})
	if err != nil {
		log.Fatalln("tableflip:", err)
	}
	defer upg.Stop()

	go func() {
		signals := make(chan os.Signal, 1)
		signal.Notify(signals, syscall.SIGHUP, syscall.SIGTERM)
		for s := range signals {
			if s == syscall.SIGTERM {
				log.Println("SIGTERM: stopping")
				upg.Stop()
				return
			}
			// the child inherits the environment as it is now
			os.Setenv(generationVar, strconv.Itoa(generation+1))
			if err := upg.Upgrade(); err != nil {
				os.Setenv(generationVar, strconv.Itoa(generation))
				log.Println("upgrade failed:", err)
			}
		}
	}()

	if upg.HasParent() {
		go func() {
			if err := upg.WaitForParent(context.Background()); err == nil {
				log.Println("previous generation has exited")
			}
		}()
	}

	ln, err := upg.Listen("tcp", *listen)
	if err != nil {
		log.Fatalln("listen:", err)
	}

	mux := http.NewServeMux()
	identify := func(w http.ResponseWriter) {
		w.Header().Set("X-Generation", strconv.Itoa(generation))
		w.Header().Set("X-Pid", strconv.Itoa(pid))
		w.Header().Set("Content-Type", "text/plain;charset=UTF-8")
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		identify(w)
		fmt.Fprintf(w, "Hello from generation %d, pid %d\n", generation, pid)
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		ms, err := strconv.Atoi(r.URL.Query().Get("ms"))
		if err != nil || ms < 0 {
			ms = 1000
		}
		time.Sleep(time.Duration(ms) * time.Millisecond)
		identify(w)
		fmt.Fprintf(w, "Slept %d ms in generation %d, pid %d\n", ms, generation, pid)
	})
	server := http.Server{Handler: mux}
	go func() {
		if err := server.Serve(ln); err != http.ErrServerClosed {
			log.Println("serve:", err)
		}
	}()

	if err := upg.Ready(); err != nil {
		log.Fatalln("ready:", err)
	}
	log.Println("ready on", *listen)
	<-upg.Exit()

	time.AfterFunc(30*time.Second, func() {
		log.Println("graceful shutdown timed out")
		os.Exit(1)
	})
	server.Shutdown(context.Background())
	log.Println("exiting")
}
