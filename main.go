// Command conceptcells looks inside trained neural networks for place, grid
// and concept cells. See README.md.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/conceptcells/conceptcells/internal/command"
)

func main() {
	// Ctrl-C or SIGTERM cancels the run; commands stop between batches and
	// leave no half-written output.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := command.App().RunContext(ctx, os.Args)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "conceptcells: %v\n", err)
		os.Exit(1)
	}
}
