// Command rcserver runs the Redis Cloud API test server on loopback for
// manual demos: point rciam's --api-url (or REDISCLOUD_URL) at the URL it
// prints. The keys it accepts come from RCSERVER_ACCESS_KEY and
// RCSERVER_SECRET_KEY; it stops on Ctrl-C.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/rciam/rciam/internal/testenv/rcserver"
)

func main() { os.Exit(run()) }

func run() int {
	var o rcserver.Options
	flag.StringVar(&o.Addr, "addr", "127.0.0.1:0", "loopback `address` to listen on")
	flag.IntVar(&o.TaskPendingPolls, "task-polls", 1, "polls a task stays in progress")
	flag.IntVar(&o.StatusPendingGets, "pending-gets", 2, "reads an account stays pending after a change")
	flag.StringVar(&o.FinalStatus, "final-status", "active", "status accounts reach after a change")
	flag.BoolVar(&o.MaskAccessKeyID, "mask", false, "mask accessKeyId in answers")
	flag.Parse()
	o.APIKey, o.SecretKey = os.Getenv("RCSERVER_ACCESS_KEY"), os.Getenv("RCSERVER_SECRET_KEY")
	if o.APIKey == "" || o.SecretKey == "" {
		fmt.Fprintln(os.Stderr, "rcserver: keys missing: set RCSERVER_ACCESS_KEY and RCSERVER_SECRET_KEY")
		return 2
	}
	srv, err := rcserver.Start(o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "rcserver:", err)
		return 1
	}
	defer srv.Close()
	fmt.Fprintln(os.Stdout, srv.BaseURL())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	return 0
}
