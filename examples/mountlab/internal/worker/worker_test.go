package worker

import (
	"bufio"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: run it inside the lab VM (./nuke.sh TestPhase4)")
	}
}

func newWorker(t *testing.T, id int) *Worker {
	t.Helper()
	w, err := New(t.TempDir(), id)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Setup(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if len(w.Mounts()) > 0 {
			if err := w.Cleanup(5 * time.Second); err != nil {
				t.Error(err)
			}
		}
	})
	return w
}

func mountedAt(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		fields := strings.Fields(scanner.Text())
		if len(fields) > 4 && fields[4] == path {
			for i, field := range fields {
				if field == "-" && i+1 < len(fields) {
					return fields[i+1]
				}
			}
		}
	}
	return ""
}

func TestSetupMountsAnIsolatedRoot(t *testing.T) {
	needRoot(t)
	w := newWorker(t, 1)
	if got := mountedAt(t, w.Root); got != "tmpfs" {
		t.Fatalf("root of worker is mounted as %q, want tmpfs", got)
	}
	if got := mountedAt(t, w.Root+"/proc"); got != "proc" {
		t.Fatalf("proc is mounted as %q", got)
	}
	if len(w.Mounts()) != 5 {
		t.Fatalf("worker has %d mounts, want 5: %v", len(w.Mounts()), w.Mounts())
	}
}

func TestCommandsRunInTheChroot(t *testing.T) {
	needRoot(t)
	w := newWorker(t, 2)
	out, err := w.Run("/bin/sh", "-c", "cat /etc/worker-id; pwd; ls /")
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	text := string(out)
	if !strings.HasPrefix(text, "2\n/work\n") || strings.Contains(text, "home") {
		t.Fatalf("unexpected view from inside the chroot:\n%s", text)
	}
}

func TestProcWorksInsideTheChroot(t *testing.T) {
	needRoot(t)
	w := newWorker(t, 3)
	out, err := w.Run("/bin/sh", "-c", "grep -c ^Pid: /proc/self/status")
	if err != nil || strings.TrimSpace(string(out)) != "1" {
		t.Fatalf("proc inside the chroot: %v: %s", err, out)
	}
}

func TestUsrIsReadOnlyInsideTheWorker(t *testing.T) {
	needRoot(t)
	w := newWorker(t, 4)
	out, err := w.Run("/bin/sh", "-c", "touch /usr/should-not-exist")
	if err == nil {
		t.Fatalf("writing to /usr in the worker succeeded: %s", out)
	}
	if _, statErr := os.Stat("/usr/should-not-exist"); statErr == nil {
		os.Remove("/usr/should-not-exist")
		t.Fatal("a write in the worker reached the host's /usr")
	}
}

func TestWorkersAreIsolatedFromEachOther(t *testing.T) {
	needRoot(t)
	a, b := newWorker(t, 5), newWorker(t, 6)
	if out, err := a.Run("/bin/sh", "-c", "echo secret > /tmp/only-in-a"); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if out, err := b.Run("/bin/sh", "-c", "test ! -e /tmp/only-in-a"); err != nil {
		t.Fatalf("worker b sees worker a's /tmp: %v: %s", err, out)
	}
}

func TestCleanupRetriesABusyMount(t *testing.T) {
	needRoot(t)
	w := newWorker(t, 7)
	busy := w.Command("/bin/sh", "-c", "cd /tmp && sleep 1")
	if err := busy.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- busy.Wait() }()
	time.Sleep(100 * time.Millisecond)
	started := time.Now()
	if err := w.Cleanup(10 * time.Second); err != nil {
		t.Fatalf("cleanup did not get past the busy mount: %v", err)
	}
	<-done
	if time.Since(started) < 300*time.Millisecond {
		t.Fatalf("cleanup finished in %v: the mount was never busy, so nothing was retried", time.Since(started))
	}
	if _, err := os.Stat(w.Root); !os.IsNotExist(err) {
		t.Fatalf("worker root still exists after cleanup: %v", err)
	}
}

func TestManyWorkersAtOnce(t *testing.T) {
	needRoot(t)
	base := t.TempDir()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(id int) {
			defer wg.Done()
			w, err := New(base, 100+id)
			if err == nil {
				err = w.Setup()
			}
			if err == nil {
				_, err = w.Run("/bin/true")
			}
			if err == nil {
				err = w.Cleanup(5 * time.Second)
			}
			errs <- err
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

func TestFailureOnRequest(t *testing.T) {
	if os.Getenv("MOUNTLAB_FAIL") == "1" {
		t.Fatalf("failing because MOUNTLAB_FAIL=1 asked for it (this is how a failing guest test is reported)")
	}
}
