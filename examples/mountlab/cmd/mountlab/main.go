// Command mountlab sets up isolated workers, runs one command chrooted in each, and tears them down:
//
//	mountlab run [-workers N] [-base DIR] -- COMMAND [ARG...]
//
// Each worker's output is printed as "worker-N: line". It needs root (mounts and chroot).
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"example.com/mountlab/internal/plan"
	"example.com/mountlab/internal/worker"
)

func main() {
	if len(os.Args) < 2 || os.Args[1] != "run" {
		fmt.Fprintln(os.Stderr, "usage: mountlab run [-workers N] [-base DIR] -- COMMAND [ARG...]")
		os.Exit(2)
	}
	flags := flag.NewFlagSet("run", flag.ExitOnError)
	workers := flags.Int("workers", 2, "how many workers")
	base := flags.String("base", "/var/tmp/mountlab", "where the workers' roots go")
	_ = flags.Parse(os.Args[2:])
	if flags.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "mountlab run: no command given")
		os.Exit(2)
	}
	if err := run(*base, *workers, flags.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "mountlab:", err)
		os.Exit(1)
	}
}

func run(base string, n int, command []string) error {
	roots, err := plan.Roots(base, n)
	if err != nil {
		return err
	}
	failed := false
	for i, root := range roots {
		w, err := worker.New(filepath.Dir(root), i)
		if err != nil {
			return err
		}
		if err := w.Setup(); err != nil {
			return err
		}
		output, runErr := w.Run(command[0], command[1:]...)
		scanner := bufio.NewScanner(bytes.NewReader(output))
		for scanner.Scan() {
			fmt.Printf("worker-%d: %s\n", i, scanner.Text())
		}
		if runErr != nil {
			fmt.Printf("worker-%d: %v\n", i, runErr)
			failed = true
		}
		if err := w.Cleanup(10 * time.Second); err != nil {
			return err
		}
	}
	if failed {
		return fmt.Errorf("the command failed in at least one worker")
	}
	return nil
}
