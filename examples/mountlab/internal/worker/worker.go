// Package worker sets up isolated build environments: a tmpfs root per worker with read-only bind
// mounts of the host's /usr, proc and dev mounts, and commands run chrooted inside it.
package worker

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// Worker is one isolated environment rooted at Root.
type Worker struct {
	ID     int
	Root   string
	mounts []string // mount points, in the order they were mounted
}

// New prepares (but does not mount) worker id under base.
func New(base string, id int) (*Worker, error) {
	root := filepath.Join(base, fmt.Sprintf("worker-%d", id))
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, fmt.Errorf("worker %d: %w", id, err)
	}
	return &Worker{ID: id, Root: root}, nil
}

// Setup mounts the worker's tree: tmpfs root, /usr read-only, merged-usr links, proc, dev and a private /tmp.
func (w *Worker) Setup() error {
	if err := w.mount("tmpfs", w.Root, "tmpfs", 0, "size=64m,mode=0755"); err != nil {
		return err
	}
	for _, dir := range []string{"usr", "proc", "dev", "tmp", "work", "etc"} {
		if err := os.MkdirAll(filepath.Join(w.Root, dir), 0o755); err != nil {
			return w.fail(err)
		}
	}
	for _, link := range []string{"bin", "sbin", "lib", "lib64"} {
		if err := os.Symlink("usr/"+link, filepath.Join(w.Root, link)); err != nil {
			return w.fail(err)
		}
	}
	usr := filepath.Join(w.Root, "usr")
	if err := w.mount("/usr", usr, "", syscall.MS_BIND|syscall.MS_REC, ""); err != nil {
		return err
	}
	// A bind mount takes its read-only flag only on a remount.
	if err := syscall.Mount("", usr, "", syscall.MS_BIND|syscall.MS_REMOUNT|syscall.MS_RDONLY, ""); err != nil {
		return w.fail(fmt.Errorf("remount %s read-only: %w", usr, err))
	}
	if err := w.mount("proc", filepath.Join(w.Root, "proc"), "proc", syscall.MS_NOSUID|syscall.MS_NODEV|syscall.MS_NOEXEC, ""); err != nil {
		return err
	}
	if err := w.mount("/dev", filepath.Join(w.Root, "dev"), "", syscall.MS_BIND, ""); err != nil {
		return err
	}
	if err := w.mount("tmpfs", filepath.Join(w.Root, "tmp"), "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV, "size=16m,mode=1777"); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(w.Root, "etc", "worker-id"), []byte(fmt.Sprintf("%d\n", w.ID)), 0o644)
}

// Command returns a command that runs name with args chrooted in the worker, in /work.
func (w *Worker) Command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Dir = "/work"
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=/work"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: w.Root}
	return cmd
}

// Run runs a command in the worker and returns its combined output.
func (w *Worker) Run(name string, args ...string) ([]byte, error) {
	return w.Command(name, args...).CombinedOutput()
}

// Mounts lists the worker's mount points, outermost first.
func (w *Worker) Mounts() []string {
	return append([]string(nil), w.mounts...)
}

// Cleanup unmounts everything in reverse order, retrying mounts that are busy (a process still inside)
// for up to timeout, then removes the root directory.
func (w *Worker) Cleanup(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for i := len(w.mounts) - 1; i >= 0; i-- {
		for {
			err := syscall.Unmount(w.mounts[i], 0)
			if err == nil || errors.Is(err, syscall.EINVAL) {
				break
			}
			if !errors.Is(err, syscall.EBUSY) || time.Now().After(deadline) {
				return fmt.Errorf("worker %d: unmount %s: %w", w.ID, w.mounts[i], err)
			}
			time.Sleep(50 * time.Millisecond)
		}
		w.mounts = w.mounts[:i]
	}
	return os.Remove(w.Root)
}

func (w *Worker) mount(source, target, fstype string, flags uintptr, data string) error {
	if err := syscall.Mount(source, target, fstype, flags, data); err != nil {
		return w.fail(fmt.Errorf("mount %s on %s: %w", source, target, err))
	}
	w.mounts = append(w.mounts, target)
	return nil
}

func (w *Worker) fail(err error) error {
	cleanupErr := w.Cleanup(5 * time.Second)
	if cleanupErr != nil {
		return fmt.Errorf("worker %d: %w (and cleanup failed: %v)", w.ID, err, cleanupErr)
	}
	return fmt.Errorf("worker %d: %w", w.ID, err)
}
