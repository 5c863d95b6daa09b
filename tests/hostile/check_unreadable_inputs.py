#!/usr/bin/env python3
"""check_unreadable_inputs.py - hostile local inputs through the cmkctl
binary (issue 12, items 1 and 5): every path a source yields is read or is
an error naming it and why, never skipped; nothing that is not a regular
file is read, so a FIFO fails at once instead of blocking.

The destructive case first: a dangling symbolic link (an uninitialised
submodule) in a directory whose other manifests say unlinkUnlisted: true
must make validate and plan exit 1 naming the link, with no step planned
and no saved plan written - not "valid" and "1 to delete".

usage: check_unreadable_inputs.py --cmkctl BIN --source-dir DIR [--keep]
Every command runs under a timeout; a check that takes more than a few
seconds fails (a blocked read is the bug).
"""
import argparse
import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import time

NOW = "--now=2026-11-23T12:00:00Z"
FAST = 10.0  # seconds: far more than any of these commands needs
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL: " + what, file=sys.stderr)


def run(args, cwd, stdin=None, preexec=None):
    """Run cmkctl; returns (rc, stdout+stderr, seconds)."""
    start = time.monotonic()
    try:
        p = subprocess.run(args, cwd=cwd, stdin=stdin if stdin is not None else subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=3 * FAST,
                           preexec_fn=preexec, env=dict(os.environ, NO_COLOR="1"))
    except subprocess.TimeoutExpired:
        return None, "timed out (a blocking read?)", 3 * FAST
    return p.returncode, p.stdout.decode("utf-8", "replace"), time.monotonic() - start


def expect_error(name, args, cwd, fragments, absent=(), stdin=None, preexec=None):
    rc, out, secs = run(args, cwd, stdin=stdin, preexec=preexec)
    check(rc == 1, "%s: exit %s, expected 1\n%s" % (name, rc, out))
    check(secs < FAST, "%s: took %.1f s (blocked?)" % (name, secs))
    for f in fragments:
        check(f in out, "%s: output lacks %r\n%s" % (name, f, out))
    for f in absent:
        check(f not in out, "%s: output has %r\n%s" % (name, f, out))
    return out


def fresh_manifests(work, golden, name):
    """A copy of the golden case unlink-unlisted (unlinkUnlisted: true) in work/name."""
    d = os.path.join(work, name)
    shutil.copytree(os.path.join(golden, "unlink-unlisted"), d, symlinks=True)
    return d


def test_dangling_link_is_not_a_destructive_plan(bin, work, golden):
    case = fresh_manifests(work, golden, "dangling")
    # before: the plan unlinks law-app2, which only the missing file would list
    rc, out, _ = run([bin, "plan", "-f", "manifests", "--live-state", "live.json", NOW,
                      "--allow-unlink"], case)
    check(rc == 0 and "1 to delete" in out, "control: the intact case plans its unlink\n" + out)
    os.symlink("../vendor/app2/links.yaml", os.path.join(case, "manifests", "31-app2-links.yaml"))
    link = "manifests/31-app2-links.yaml: error: cannot read: dangling symbolic link to '../vendor/app2/links.yaml'"
    expect_error("validate, dangling link", [bin, "validate", "-f", "manifests"], case, [link],
                 absent=["valid\n"])
    expect_error("validate -o json, dangling link", [bin, "validate", "-f", "manifests", "-o", "json"],
                 case, ['"valid":false', "dangling symbolic link"])
    out = expect_error("plan --allow-unlink, dangling link",
                       [bin, "plan", "-f", "manifests", "--live-state", "live.json", NOW,
                        "--allow-unlink", "--out", "saved.json"], case,
                       [link, "nothing planned"], absent=["to delete", "Steps", "unlink workspace"])
    check(not os.path.exists(os.path.join(case, "saved.json")), "plan wrote a saved plan despite the error")
    # a dangling link named like no manifest may stand for a directory of them
    os.remove(os.path.join(case, "manifests", "31-app2-links.yaml"))
    os.symlink("../vendor/app2", os.path.join(case, "manifests", "app2"))
    expect_error("plan, dangling directory link", [bin, "plan", "-f", "manifests", "--live-state",
                                                     "live.json", NOW, "--allow-unlink"], case,
                 ["manifests/app2: error: cannot read: dangling symbolic link to '../vendor/app2'"],
                 absent=["to delete"])


def test_fifo_fails_fast(bin, work, golden):
    case = fresh_manifests(work, golden, "fifo")
    os.mkfifo(os.path.join(case, "pipe.yaml"))
    os.mkfifo(os.path.join(case, "live-pipe.json"))
    os.mkfifo(os.path.join(case, "plan-pipe.json"))
    expect_error("validate -f FIFO", [bin, "validate", "-f", "pipe.yaml"], case,
                 ["pipe.yaml: error: cannot read: a FIFO, not a regular file", "use -f -"])
    expect_error("plan -f FIFO", [bin, "plan", "-f", "pipe.yaml", "--live-state", "live.json", NOW],
                 case, ["pipe.yaml: error: cannot read: a FIFO"])
    expect_error("plan --live-state FIFO", [bin, "plan", "-f", "manifests", "--live-state",
                                            "live-pipe.json", NOW], case,
                 ["live-pipe.json: cannot read: a FIFO, not a regular file"])
    expect_error("apply PLAN FIFO", [bin, "apply", "plan-pipe.json"], case,
                 ["plan-pipe.json: cannot read: a FIFO, not a regular file"])
    # inside a directory: a FIFO named like a manifest is an error, one named otherwise is skipped
    os.mkfifo(os.path.join(case, "manifests", "40-pipe.yml"))
    os.mkfifo(os.path.join(case, "manifests", "notes.txt"))
    expect_error("validate dir with a FIFO", [bin, "validate", "-f", "manifests"], case,
                 ["manifests/40-pipe.yml: error: cannot read: a FIFO, not a regular file", "1 error"],
                 absent=["notes.txt"])


def test_links_devices_sockets_directories(bin, work, golden):
    case = fresh_manifests(work, golden, "links")
    m = os.path.join(case, "manifests")
    os.symlink("loop-b.yaml", os.path.join(m, "loop-a.yaml"))
    os.symlink("loop-a.yaml", os.path.join(m, "loop-b.yaml"))
    os.symlink("..", os.path.join(m, "parent"))
    os.symlink("/dev/zero", os.path.join(m, "zero.yaml"))
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(os.path.join(m, "sock.yaml"))
    try:
        expect_error("validate, links and devices", [bin, "validate", "-f", "manifests"], case, [
            "manifests/loop-a.yaml: error: cannot read: symbolic link loop",
            "manifests/loop-b.yaml: error: cannot read: symbolic link loop",
            "manifests/parent/manifests: error: cannot read: symbolic link loop: leads back to 'manifests'",
            "manifests/zero.yaml: error: cannot read: a character device, not a regular file",
            "manifests/sock.yaml: error: cannot read: a socket, not a regular file",
            "5 errors"])
    finally:
        s.close()
    expect_error("-f /dev/zero", [bin, "validate", "-f", "/dev/zero"], case,
                 ["/dev/zero: error: cannot read: a character device, not a regular file"])
    expect_error("--live-state directory", [bin, "plan", "-f", "manifests/00-key.yaml",
                                            "--live-state", "manifests", NOW], case,
                 ["manifests: cannot read: a directory, not a regular file"])
    expect_error("-f dangling link", [bin, "validate", "-f", "manifests/loop-a.yaml"], case,
                 ["manifests/loop-a.yaml: error: cannot read: symbolic link loop"])


def test_path_longer_than_path_max(bin, work, golden):
    case = fresh_manifests(work, golden, "long")
    name = "d" * 250
    fd = os.open(os.path.join(case, "manifests"), os.O_RDONLY)
    for _ in range(20):  # 20 x 251 bytes: past PATH_MAX (4096)
        os.mkdir(name, dir_fd=fd)
        nfd = os.open(name, os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd = nfd
    os.close(os.open("deep.yaml", os.O_WRONLY | os.O_CREAT, 0o600, dir_fd=fd))
    os.close(fd)
    expect_error("validate, path past PATH_MAX", [bin, "validate", "-f", "manifests"], case,
                 ["error: cannot read: path longer than PATH_MAX (4096 bytes)", "1 error"])


def test_permission_denied(bin, work, golden):
    case = fresh_manifests(work, golden, "mode000")
    f = os.path.join(case, "manifests", "20-cluster.yaml")
    os.chmod(f, 0)
    preexec = None
    if os.geteuid() == 0:
        # root reads a mode-000 file: run as nobody, who can reach the folder
        for d in (work, case, os.path.join(case, "manifests")):
            os.chmod(d, 0o755)
        os.chmod(os.path.join(case, "manifests", "00-key.yaml"), 0o644)

        def preexec():
            os.setgid(65534)
            os.setuid(65534)
    expect_error("validate, mode 000", [bin, "validate", "-f", "manifests"], case,
                 ["manifests/20-cluster.yaml: error: cannot open: Permission denied"], preexec=preexec)


def test_stdin_directory(bin, work, golden):
    case = fresh_manifests(work, golden, "stdin")
    fd = os.open(os.path.join(case, "manifests"), os.O_RDONLY | os.O_DIRECTORY)
    try:
        expect_error("validate -f - < dir", [bin, "validate", "-f", "-"], case,
                     ["<stdin>: error: cannot read: Is a directory"], absent=["no manifest documents"],
                     stdin=fd)
    finally:
        os.close(fd)
    # a pipe on standard input is still read
    with open(os.path.join(case, "manifests", "00-key.yaml"), "rb") as f:
        data = f.read()
    p = subprocess.run([bin, "validate", "-f", "-"], input=data, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=3 * FAST)
    check(p.returncode == 0 and b"1 document in 1 file: valid" in p.stdout,
          "validate -f - from a pipe\n" + p.stdout.decode("utf-8", "replace"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cmkctl", required=True)
    ap.add_argument("--source-dir", required=True)
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    golden = os.path.join(a.source_dir, "tests", "golden", "cases")
    work = tempfile.mkdtemp(prefix="cmkctl-hostile-inputs-")
    try:
        for t in (test_dangling_link_is_not_a_destructive_plan, test_fifo_fails_fast,
                  test_links_devices_sockets_directories, test_path_longer_than_path_max,
                  test_permission_denied, test_stdin_directory):
            t(os.path.abspath(a.cmkctl), work, golden)
    finally:
        if a.keep or failures:
            print("scratch kept: " + work, file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    if failures:
        print("%d check(s) failed" % len(failures), file=sys.stderr)
        return 1
    print("all unreadable-input checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
