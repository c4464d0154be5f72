// Package command defines the conceptcells CLI: one urfave/cli command per
// file. Each action validates its flags, builds an options struct and makes
// one library call; exit handling stays in main.
package command

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/conceptcells/conceptcells/internal/fsutil"
	"github.com/conceptcells/conceptcells/internal/version"
)

// App returns the conceptcells application with every working command.
func App() *cli.App {
	app := &cli.App{
		Name:    "conceptcells",
		Usage:   "find place, grid and concept cells in trained neural networks",
		Version: version.Version,
		// Errors are printed once, by main.
		ExitErrHandler: func(*cli.Context, error) {},
		OnUsageError:   usageError,
		// The everyday commands first.
		Commands: []*cli.Command{
			Probe,
			Demo,
			Layers,
			Activations,
			Cells,
			Embed,
			Train,
		},
	}
	for _, c := range app.Commands {
		c.OnUsageError = usageError
	}
	return app
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

// Run runs app on the command line args (args[0] is the program name).
// Flags may follow positional arguments, as in `layers M.onnx --json`:
// urfave/cli stops parsing flags at the first positional argument, so the
// command's flags are moved in front of its arguments first ("--" still
// ends the flags).
//
// An error about an existing output (fsutil.ErrExists) says to use
// --force, the flag of every command that writes.
func Run(ctx context.Context, app *cli.App, args []string) error {
	err := app.RunContext(ctx, reorderArgs(app, args))
	if errors.Is(err, fsutil.ErrExists) {
		err = fmt.Errorf("%w (use --%s to overwrite)", err, forceFlag.Name)
	}
	return err
}

// reorderArgs moves the flags that follow a command's positional
// arguments in front of them. A flag takes the next word as its value
// unless it is a boolean flag or written --flag=value; an unknown flag is
// moved alone (the parser then reports it).
func reorderArgs(app *cli.App, args []string) []string {
	if len(args) < 3 {
		return args
	}
	cmd := app.Command(args[1])
	if cmd == nil || cmd.SkipFlagParsing {
		return args
	}
	takesValue := map[string]bool{}
	for _, f := range cmd.Flags {
		tv, ok := f.(interface{ TakesValue() bool })
		for _, name := range f.Names() {
			takesValue[name] = ok && tv.TakesValue()
		}
	}
	var flags, pos []string
	rest := args[2:]
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		switch {
		case a == "--":
			pos = append(pos, rest[i:]...)
			i = len(rest)
		case len(a) > 1 && a[0] == '-':
			flags = append(flags, a)
			name := strings.TrimLeft(a, "-")
			if !strings.Contains(name, "=") && takesValue[name] && i+1 < len(rest) {
				i++
				flags = append(flags, rest[i])
			}
		default:
			pos = append(pos, a)
		}
	}
	out := append([]string{args[0], args[1]}, flags...)
	return append(out, pos...)
}

// ExitCode is the process exit status for the error a command returned:
// 0 for none, 130 (the shell's code for SIGINT) when the run was
// interrupted, else 1.
func ExitCode(err error) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, context.Canceled):
		return 130
	}
	return 1
}

// usageError turns a flag parsing error into a short message that points
// to the command's help, instead of printing the whole help.
func usageError(c *cli.Context, err error, _ bool) error {
	name := "conceptcells"
	if c != nil && c.Command != nil && c.Command.Name != "" {
		name += " " + c.Command.Name
	}
	return fmt.Errorf("%w (see %s --help)", err, name)
}
