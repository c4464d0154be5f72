// Package command defines the conceptcells CLI: one urfave/cli command per
// file. Each action validates its flags, builds an options struct and makes
// one library call; exit handling stays in main.
package command

import (
	"github.com/urfave/cli/v2"

	"github.com/conceptcells/conceptcells/internal/version"
)

// App returns the conceptcells application with every working command.
func App() *cli.App {
	return &cli.App{
		Name:    "conceptcells",
		Usage:   "find place, grid and concept cells in trained neural networks",
		Version: version.Version,
		// Errors are printed once, by main.
		ExitErrHandler: func(*cli.Context, error) {},
		Commands: []*cli.Command{
			// Commands are registered here once they work.
			Layers,
			Activations,
			Cells,
			Embed,
			Train,
			Probe,
			Demo,
		},
	}
}

// quietFlag is shared by every command that can show progress.
var quietFlag = &cli.BoolFlag{
	Name:    "quiet",
	Aliases: []string{"q"},
	Usage:   "no progress output on stderr",
}

// forceFlag is shared by every command that writes a file or folder.
var forceFlag = &cli.BoolFlag{
	Name:  "force",
	Usage: "overwrite existing outputs",
}
