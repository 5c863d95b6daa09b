#!/usr/bin/env bash
# gitsrc.sh CASE PROBE [CMKCTL] - one git source test case against real repositories.
#
# Each case builds its own bare repository with the git CLI in a private
# temporary directory, then runs PROBE (tests/gitsrc/gitsrc_probe.c, which
# calls source_open exactly as the commands do) and checks what it printed.
# Servers (git daemon, a silent listener) bind 127.0.0.1 on free ports, so
# cases run in parallel under ctest -j.
set -u
CASE=$1
PROBE=$2
CMKCTL=${3:-}
EXAMPLES=$(cd "$(dirname "$0")/../../manifests/examples" 2>/dev/null && pwd)

T=$(mktemp -d "${TMPDIR:-/tmp}/gitsrc-$CASE.XXXXXX")
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT

# A clean git identity and no user/system configuration.
export HOME=$T/home GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com
export GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com
unset CMKCTL_GIT_TOKEN CMKCTL_GIT_TOKEN_FILE CMKCTL_GIT_SSH_KEY XDG_CACHE_HOME
mkdir -p "$HOME"
CACHE=$T/cache
REMOTE=$T/remote.git
WORK=$T/work

fail() { echo "FAIL [$CASE]: $*" >&2; echo "--- last stdout:" >&2; cat "$T/out" >&2 2>/dev/null; echo "--- last stderr:" >&2; cat "$T/err" >&2 2>/dev/null; exit 1; }
g() { git -C "$WORK" "$@" >/dev/null 2>&1 || fail "git $*"; }

# remote.git with main: clusters/{prod,dev}.yaml and README.md
make_repo() {
	git init -q --bare -b main "$REMOTE" || fail "git init"
	git init -q -b main "$WORK" || fail "git init work"
	g remote add origin "$REMOTE"
	mkdir -p "$WORK/clusters"
	echo "name: prod-v1" > "$WORK/clusters/prod.yaml"
	echo "name: dev-v1" > "$WORK/clusters/dev.yaml"
	echo "# readme" > "$WORK/README.md"
	g add -A
	g commit -q -m one
	g push -q origin main
}

commit_change() { # file content message
	echo "$2" > "$WORK/$1"
	g add -A
	g commit -q -m "$3"
}

head_of() { git -C "$WORK" rev-parse "$1"; }

# probe ARGS...: run, keeping stdout in $T/out and stderr in $T/err; sets RC
probe() {
	"$PROBE" --git-cache "$CACHE" "$@" >"$T/out" 2>"$T/err"
	RC=$?
}
expect_ok() { [ "$RC" = 0 ] || fail "expected success, got rc=$RC"; }
expect_err() { # code-name substring
	[ "$RC" != 0 ] || fail "expected failure '$1', got success"
	grep -q "^error $1: " "$T/out" || fail "expected error '$1'"
	[ -z "${2:-}" ] || grep -qF -- "$2" "$T/out" || fail "error should mention '$2'"
}
has() { grep -qxF -- "$1" "$T/out" || fail "expected line: $1"; }
lacks() { ! grep -qF -- "$1" "$T/out" || fail "unexpected: $1"; }
commit_is() { grep -q "^line .* commit $1 " "$T/out" || fail "expected commit $1"; }
stderr_has() { grep -qF -- "$1" "$T/err" || fail "stderr should mention '$1'"; }

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# git daemon on a free port serving $T; sets PORT
start_daemon() {
	for _ in 1 2 3 4 5; do
		PORT=$(free_port)
		git daemon --export-all --base-path="$T" --listen=127.0.0.1 --port="$PORT" \
			--reuseaddr --informative-errors "$T" >"$T/daemon.log" 2>&1 &
		local pid=$!
		for _ in $(seq 50); do
			if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
				PIDS+=("$pid")
				return 0
			fi
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill "$pid" 2>/dev/null
	done
	fail "git daemon did not start"
}

cache_entry() { ls -d "$CACHE"/*/ | head -1; }

case $CASE in
clone_then_fetch)
	make_repo
	C1=$(head_of main)
	probe --git-url "file://$REMOTE" --git-path clusters
	expect_ok
	commit_is "$C1"
	has "line git file://$REMOTE ref HEAD (refs/heads/main) commit $C1 path clusters"
	has "file clusters/dev.yaml name: dev-v1"
	has "file clusters/prod.yaml name: prod-v1"
	lacks "README.md"
	grep -q '^json {"kind":"git","url":"file://'"$REMOTE"'","ref":"HEAD","refName":"refs/heads/main","commit":"'"$C1"'","path":"clusters"}$' "$T/out" ||
		fail "json record"
	stderr_has "cloning"
	local_dir=$(sed -n 's/^local //p' "$T/out")
	[ ! -e "$local_dir" ] || fail "checkout $local_dir not deleted"
	# the whole repository, and the private mode of the checkout
	probe --git-url "file://$REMOTE"
	expect_ok
	has "mode 700"
	has "file README.md # readme"
	# second run fetches into the same cache: the entry and a marker survive
	ENTRY=$(cache_entry)
	INODE=$(stat -c %i "$ENTRY")
	touch "$ENTRY/cmkctl-test-marker"
	PACKS=$(ls "$ENTRY/objects/pack" | sort | tr '\n' ' ')
	commit_change clusters/prod.yaml "name: prod-v2" two
	g push -q origin main
	C2=$(head_of main)
	probe --git-url "file://$REMOTE" --git-path clusters
	expect_ok
	commit_is "$C2"
	has "file clusters/prod.yaml name: prod-v2"
	stderr_has "fetching"
	[ "$(stat -c %i "$(cache_entry)")" = "$INODE" ] || fail "cache re-created"
	[ -e "$ENTRY/cmkctl-test-marker" ] || fail "cache marker lost: re-cloned?"
	for p in $PACKS; do [ -e "$ENTRY/objects/pack/$p" ] || fail "old pack $p gone"; done
	[ "$(ls -d "$CACHE"/*/ | wc -l)" = 1 ] || fail "one cache entry per URL"
	# a cache grown past 32 packs is cloned afresh, into a single pack
	for n in $(seq 33); do cp "$ENTRY/objects/pack/$(ls "$ENTRY/objects/pack" | grep -m1 '\.pack$')" "$ENTRY/objects/pack/pack-fake$n.pack"; done
	probe --git-url "file://$REMOTE" --git-path clusters
	expect_ok
	commit_is "$C2"
	stderr_has "packs; cloning it afresh"
	[ "$(ls "$ENTRY/objects/pack" | grep -c '\.pack$')" = 1 ] || fail "still many packs"
	# a plain path is the same repository; recorded as an absolute path
	(cd "$T" && "$PROBE" --git-cache "$CACHE" --git-url remote.git --git-path clusters/prod.yaml) >"$T/out" 2>"$T/err"
	RC=$?
	expect_ok
	has "line git $REMOTE ref HEAD (refs/heads/main) commit $C2 path clusters/prod.yaml"
	has "file clusters/prod.yaml name: prod-v2"
	# the default cache lives under $XDG_CACHE_HOME/cmkctl
	XDG_CACHE_HOME=$T/xdg "$PROBE" --git-url "$REMOTE" >"$T/out" 2>"$T/err"
	RC=$?
	expect_ok
	ls -d "$T"/xdg/cmkctl/git/*/objects >/dev/null 2>&1 || fail "no cache under XDG_CACHE_HOME"
	;;

concurrent)
	# runs sharing one cache serialise on its lock: all succeed, one clone
	make_repo
	C1=$(head_of main)
	for n in 1 2 3 4; do
		"$PROBE" --git-cache "$CACHE" --git-url "file://$REMOTE" --git-path clusters \
			>"$T/out.$n" 2>"$T/err.$n" &
		PIDS+=($!)
	done
	for n in 1 2 3 4; do
		wait "${PIDS[$((n - 1))]}" || fail "run $n failed: $(cat "$T/out.$n" "$T/err.$n")"
		grep -q "^line .* commit $C1 " "$T/out.$n" || fail "run $n: wrong commit"
		grep -qxF "file clusters/prod.yaml name: prod-v1" "$T/out.$n" || fail "run $n: files"
	done
	PIDS=()
	[ "$(cat "$T"/err.* | grep -c "cloning")" = 1 ] || fail "expected exactly one clone"
	[ "$(cat "$T"/err.* | grep -c "fetching")" = 3 ] || fail "expected three fetches"
	;;

branch_moves)
	make_repo
	g checkout -q -b feature
	commit_change clusters/prod.yaml "name: prod-feature" feat
	g push -q origin feature
	F1=$(head_of feature)
	g checkout -q main
	probe --git-url "file://$REMOTE" --git-ref feature --git-path clusters
	expect_ok
	commit_is "$F1"
	has "file clusters/prod.yaml name: prod-feature"
	has "line git file://$REMOTE ref feature (refs/heads/feature) commit $F1 path clusters"
	for n in 2 3; do
		commit_change clusters/dev.yaml "name: dev-v$n" "dev $n"
		g push -q origin main
		probe --git-url "file://$REMOTE" --git-ref main --git-path clusters
		expect_ok
		commit_is "$(head_of main)"
		has "file clusters/dev.yaml name: dev-v$n"
	done
	# a deleted branch is gone after the next fetch (pruned), not served stale
	git -C "$WORK" push -q origin :feature >/dev/null 2>&1 || fail "delete branch"
	probe --git-url "file://$REMOTE" --git-ref feature
	expect_err "not found" "unknown ref 'feature'"
	;;

tag_and_commit)
	make_repo
	C1=$(head_of main)
	g tag v1
	g tag -a v2 -m "annotated"
	g push -q origin v1 v2
	commit_change clusters/prod.yaml "name: prod-v2" two
	g push -q origin main
	C2=$(head_of main)
	probe --git-url "file://$REMOTE" --git-ref v1 --git-path clusters
	expect_ok
	commit_is "$C1"
	has "line git file://$REMOTE ref v1 (refs/tags/v1) commit $C1 path clusters"
	has "file clusters/prod.yaml name: prod-v1"
	probe --git-url "file://$REMOTE" --git-ref v2
	expect_ok
	commit_is "$C1"
	probe --git-url "file://$REMOTE" --git-ref refs/tags/v2
	expect_ok
	commit_is "$C1"
	probe --git-url "file://$REMOTE" --git-ref "$C1" --git-path clusters
	expect_ok
	commit_is "$C1"
	has "line git file://$REMOTE ref $C1 commit $C1 path clusters"
	grep -q '"refName"' "$T/out" && fail "a commit id has no ref name"
	probe --git-url "file://$REMOTE" --git-ref "${C1:0:8}"
	expect_ok
	commit_is "$C1"
	probe --git-url "file://$REMOTE"
	expect_ok
	commit_is "$C2"
	# a tag moved by force is followed
	g tag -f v1 "$C2"
	git -C "$WORK" push -q -f origin v1 >/dev/null 2>&1 || fail "push tag"
	probe --git-url "file://$REMOTE" --git-ref v1
	expect_ok
	commit_is "$C2"
	;;

force_push)
	make_repo
	C1=$(head_of main)
	commit_change clusters/prod.yaml "name: prod-v2" two
	g push -q origin main
	C2=$(head_of main)
	probe --git-url "file://$REMOTE" --git-ref main --git-path clusters
	expect_ok
	commit_is "$C2"
	# rewrite history: C2 disappears from the branch
	g reset -q --hard "$C1"
	commit_change clusters/prod.yaml "name: prod-rewritten" rewritten
	git -C "$WORK" push -q --force origin main >/dev/null 2>&1 || fail "force push"
	C3=$(head_of main)
	probe --git-url "file://$REMOTE" --git-ref main --git-path clusters
	expect_ok
	commit_is "$C3"
	has "file clusters/prod.yaml name: prod-rewritten"
	stderr_has "fetching"
	# the rewritten-away commit is still in our cache but not on the remote
	probe --git-url "file://$REMOTE" --git-ref "$C2"
	expect_err "not found" "not on any branch or tag"
	;;

missing_path)
	make_repo
	C1=$(head_of main)
	probe --git-url "file://$REMOTE" --git-path clusters/nope
	expect_err "not found" "--git-path 'clusters/nope' does not exist in commit $C1"
	probe --git-url "file://$REMOTE" --git-path ../etc
	expect_err "invalid" "'..' is not allowed"
	# trailing and doubled slashes are the same folder
	probe --git-url "file://$REMOTE" --git-path /clusters//
	expect_ok
	has "file clusters/prod.yaml name: prod-v1"
	# a symbolic link in the repository is never followed out of the
	# checkout, nor skipped: an error naming it
	ln -s /etc/passwd "$WORK/clusters/evil.yaml"
	g add -A
	g commit -q -m link
	g push -q origin main
	probe --git-url "file://$REMOTE" --git-path clusters
	expect_err "invalid" "clusters/evil.yaml is a symbolic link to '/etc/passwd', outside the repository"
	lacks "file clusters/evil.yaml"
	probe --git-url "file://$REMOTE" --git-path clusters/evil.yaml
	expect_err "invalid" "is a symbolic link"
	;;

links_and_submodules)
	make_repo
	# links inside the commit are read like what they lead to
	mkdir -p "$WORK/shared"
	echo "name: shared-v1" > "$WORK/shared/base.yaml"
	ln -s ../shared/base.yaml "$WORK/clusters/linked.yaml"
	ln -s ../shared "$WORK/clusters/shared-dir"
	ln -s /etc/passwd "$WORK/clusters/.hidden-link"
	commit_change README.md "# links" links
	g push -q origin main
	probe --git-url "file://$REMOTE" --git-path clusters
	expect_ok
	has "file clusters/linked.yaml name: shared-v1"
	has "file clusters/shared-dir/base.yaml name: shared-v1"
	stderr_has "skipping hidden symbolic link clusters/.hidden-link"
	# an uninitialised-submodule style dangling link: an error naming it
	ln -s ../vendor/app2.yaml "$WORK/clusters/app2.yaml"
	commit_change README.md "# dangling" dangling
	g push -q origin main
	probe --git-url "file://$REMOTE" --git-path clusters
	expect_err "invalid" "clusters/app2.yaml is a dangling symbolic link: its target '../vendor/app2.yaml' is not in the commit"
	rm "$WORK/clusters/app2.yaml"
	# link loops: between two links, and a folder link to its own parent
	ln -s loop-b "$WORK/clusters/loop-a"
	ln -s loop-a "$WORK/clusters/loop-b"
	commit_change README.md "# loop" loop
	g push -q origin main
	probe --git-url "file://$REMOTE" --git-path clusters
	expect_err "invalid" "clusters/loop-a is a symbolic link loop"
	rm "$WORK/clusters/loop-a" "$WORK/clusters/loop-b"
	ln -s . "$WORK/clusters/self"
	commit_change README.md "# self" self
	g push -q origin main
	probe --git-url "file://$REMOTE" --git-path clusters
	expect_err "invalid" "clusters/self is a symbolic link loop: it leads back to its parent folder 'clusters'"
	rm "$WORK/clusters/self"
	g add -A
	# a submodule's manifests are not in this repository: an error, not a skip
	git -C "$WORK" update-index --add --cacheinfo "160000,$(head_of main),clusters/vendor" ||
		fail "gitlink"
	g commit -q -m submodule
	g push -q origin main
	probe --git-url "file://$REMOTE" --git-path clusters
	expect_err "invalid" "clusters/vendor is a git submodule"
	# the same through the command: validate exits 1 naming it
	if [ -n "$CMKCTL" ]; then
		"$CMKCTL" validate --git-url "file://$REMOTE" --git-path clusters --git-cache "$CACHE" \
			>"$T/out" 2>"$T/err"
		[ $? = 1 ] || fail "validate should exit 1 on a submodule"
		grep -q "clusters/vendor is a git submodule" "$T/err" || fail "validate should name the submodule"
	fi
	;;

corrupt_cache)
	make_repo
	probe --git-url "file://$REMOTE" --git-path clusters
	expect_ok
	ENTRY=$(cache_entry)
	# 1: objects deleted
	rm -rf "$ENTRY"/objects/pack/* "$ENTRY"/objects/??
	probe --git-url "file://$REMOTE" --git-path clusters
	expect_ok
	has "file clusters/prod.yaml name: prod-v1"
	stderr_has "is damaged"
	stderr_has "cloning again"
	# 2: pack truncated
	commit_change clusters/prod.yaml "name: prod-v2" two
	g push -q origin main
	probe --git-url "file://$REMOTE" --git-path clusters
	expect_ok
	for p in "$ENTRY"/objects/pack/*.pack; do truncate -s 40 "$p"; done
	probe --git-url "file://$REMOTE" --git-path clusters
	expect_ok
	has "file clusters/prod.yaml name: prod-v2"
	stderr_has "is damaged"
	# 3: not a repository any more
	rm -f "$ENTRY/HEAD" "$ENTRY/config"
	probe --git-url "file://$REMOTE" --git-path clusters
	expect_ok
	commit_is "$(head_of main)"
	stderr_has "is damaged"
	# and the recovered cache is healthy: no warning next time
	probe --git-url "file://$REMOTE" --git-path clusters
	expect_ok
	grep -qF "damaged" "$T/err" && fail "warned about a healthy cache"
	;;

unreachable)
	PORT=$(free_port) # nothing listens there
	START=$(date +%s%N)
	probe --git-url "git://127.0.0.1:$PORT/remote.git" --git-timeout 5
	END=$(date +%s%N)
	expect_err "error" "git://127.0.0.1:$PORT/remote.git: cannot fetch"
	grep -qi "refused" "$T/out" || fail "should say the connection was refused"
	[ $(((END - START) / 1000000)) -lt 5000 ] || fail "took longer than the timeout"
	probe --git-url "https://127.0.0.1:$PORT/remote.git" --git-timeout 5
	expect_err "error" "https://127.0.0.1:$PORT/remote.git: cannot fetch"
	;;

timeout)
	# a server that accepts and then says nothing
	PORT_FILE=$T/port
	python3 - "$PORT_FILE" <<'PY' &
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1]))
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
conns = []
while True:
    c, _ = s.accept(); conns.append(c)
PY
	PIDS+=($!)
	for _ in $(seq 100); do [ -s "$PORT_FILE" ] && break; sleep 0.05; done
	PORT=$(cat "$PORT_FILE")
	START=$(date +%s%N)
	probe --git-url "git://127.0.0.1:$PORT/remote.git" --git-timeout 2
	END=$(date +%s%N)
	MS=$(((END - START) / 1000000))
	expect_err "timeout" "no answer within the 2 s timeout"
	[ "$MS" -ge 1900 ] && [ "$MS" -lt 6000 ] || fail "timed out after $MS ms, not ~2000"
	# https: the TLS handshake reads through the same bounded stream
	START=$(date +%s%N)
	probe --git-url "https://127.0.0.1:$PORT/remote.git" --git-timeout 2
	END=$(date +%s%N)
	MS=$(((END - START) / 1000000))
	expect_err "timeout" "no answer within the 2 s timeout"
	[ "$MS" -ge 1900 ] && [ "$MS" -lt 6000 ] || fail "https timed out after $MS ms, not ~2000"
	# ssh: libssh2 blocks on the socket itself; the watchdog cuts it
	# (leak checks off: libgit2 1.5's ssh transport leaks, see the ssh case)
	START=$(date +%s%N)
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" probe --git-url "ssh://git@127.0.0.1:$PORT/remote.git" --git-timeout 2
	END=$(date +%s%N)
	MS=$(((END - START) / 1000000))
	expect_err "timeout" "no answer within the 2 s timeout"
	[ "$MS" -ge 1900 ] && [ "$MS" -lt 6000 ] || fail "ssh timed out after $MS ms, not ~2000"
	;;

pin_mismatch)
	make_repo
	C1=$(head_of main)
	commit_change clusters/prod.yaml "name: prod-v2" two
	g push -q origin main
	C2=$(head_of main)
	probe --git-url "file://$REMOTE" --git-ref main --git-commit "$C1"
	expect_err "conflict" "ref main resolved to commit $C2, but --git-commit expects $C1"
	lacks "local "
	probe --git-url "file://$REMOTE" --git-ref main --git-commit "$C2"
	expect_ok
	commit_is "$C2"
	probe --git-url "file://$REMOTE" --git-commit "${C2:0:10}"
	expect_ok
	probe --git-url "file://$REMOTE" --git-commit "zz12345"
	expect_err "invalid" "expected 7 to 40 hexadecimal digits"
	;;

daemon)
	make_repo
	start_daemon
	URL="git://127.0.0.1:$PORT/remote.git"
	probe --git-url "$URL" --git-path clusters
	expect_ok
	commit_is "$(head_of main)"
	has "file clusters/prod.yaml name: prod-v1"
	stderr_has "cloning"
	commit_change clusters/prod.yaml "name: prod-v2" two
	g push -q origin main
	probe --git-url "$URL" --git-ref main --git-path clusters
	expect_ok
	commit_is "$(head_of main)"
	has "file clusters/prod.yaml name: prod-v2"
	stderr_has "fetching"
	# force-push over the daemon too
	g reset -q --hard HEAD~1
	commit_change clusters/dev.yaml "name: dev-rewritten" rewritten
	git -C "$WORK" push -q --force origin main >/dev/null 2>&1 || fail "force push"
	probe --git-url "$URL" --git-path clusters
	expect_ok
	commit_is "$(head_of main)"
	has "file clusters/dev.yaml name: dev-rewritten"
	has "file clusters/prod.yaml name: prod-v1"
	# a repository the daemon does not have
	probe --git-url "git://127.0.0.1:$PORT/nope.git"
	expect_err "error" "git://127.0.0.1:$PORT/nope.git: cannot fetch"
	;;

not_a_repo)
	mkdir -p "$T/plain"
	probe --git-url "$T/plain"
	expect_err "not found" "not a git repository"
	probe --git-url "file://$T/plain"
	expect_err "not found" "not a git repository"
	probe --git-url "$T/missing"
	expect_err "not found" "$T/missing"
	;;

unknown_ref)
	make_repo
	probe --git-url "file://$REMOTE" --git-ref no-such-branch
	expect_err "not found" "unknown ref 'no-such-branch'"
	probe --git-url "file://$REMOTE" --git-ref deadbeefdeadbeef
	expect_err "not found" "unknown ref 'deadbeefdeadbeef'"
	# an empty repository has no HEAD to default to
	git init -q --bare -b main "$T/empty.git" || fail "git init"
	probe --git-url "$T/empty.git"
	expect_err "not found" "the remote has no HEAD (empty repository?)"
	# usage errors from the shared option parser
	"$PROBE" --git-ref main >"$T/out" 2>"$T/err"; RC=$?
	expect_err "usage" "no manifests"
	"$PROBE" --git-url "$REMOTE" -f "$T" >"$T/out" 2>"$T/err"; RC=$?
	expect_err "usage" "exclusive"
	"$PROBE" --git-url >"$T/out" 2>"$T/err"; RC=$?
	expect_err "usage" "option '--git-url' needs a value"
	"$PROBE" -f "$T" --git-timeout=0 >"$T/out" 2>"$T/err"; RC=$?
	expect_err "usage" "expected a number of seconds"
	# the directory source passes the path through
	"$PROBE" -f "$T" >"$T/out" 2>"$T/err"; RC=$?
	expect_ok
	has "line dir $T"
	has 'json {"kind":"dir","path":"'"$T"'"}'
	"$PROBE" -f "$T" --filename=- >"$T/out" 2>"$T/err"; RC=$?
	expect_ok
	has "line dir $T, -"
	;;

credentials_in_url)
	PORT=$(free_port)
	SECRET=s3cretPassw0rdXYZ
	probe --git-url "https://someone:$SECRET@127.0.0.1:$PORT/org/repo.git" --git-timeout 5
	expect_err "error" "https://127.0.0.1:$PORT/org/repo.git: cannot fetch"
	stderr_has "ignoring the password"
	grep -qF "$SECRET" "$T/out" "$T/err" && fail "the password leaked"
	grep -qF "someone" "$T/out" "$T/err" && fail "the user name was recorded"
	# a token from a file that is empty is refused with the variable named
	: >"$T/token"
	CMKCTL_GIT_TOKEN_FILE=$T/token "$PROBE" --git-cache "$CACHE" --git-url "https://127.0.0.1:$PORT/r.git" >"$T/out" 2>"$T/err"
	RC=$?
	expect_err "invalid" "CMKCTL_GIT_TOKEN_FILE"
	;;

http_token)
	# smart HTTP behind basic auth: the token goes as x-access-token:<token>
	make_repo
	TOKEN=tok_$(date +%s%N)_secret
	python3 "$(dirname "$0")/http_backend.py" "$T" "$T/http.port" "$TOKEN" &
	PIDS+=($!)
	for _ in $(seq 100); do [ -s "$T/http.port" ] && break; sleep 0.05; done
	[ -s "$T/http.port" ] || fail "http server did not start"
	URL="http://127.0.0.1:$(cat "$T/http.port")/remote.git"
	probe --git-url "$URL" --git-timeout 10
	expect_err "authentication" "set CMKCTL_GIT_TOKEN or CMKCTL_GIT_TOKEN_FILE"
	CMKCTL_GIT_TOKEN=wrong-token-value probe --git-url "$URL" --git-timeout 10
	expect_err "authentication" "the token from CMKCTL_GIT_TOKEN was rejected"
	grep -q "^401 x-access-token$" "$T/http.port.log" || fail "no x-access-token attempt"
	[ "$(grep -c "^401 x-access-token$" "$T/http.port.log")" = 1 ] || fail "retried a rejected token"
	echo "$TOKEN" >"$T/token"
	CMKCTL_GIT_TOKEN_FILE=$T/token probe --git-url "$URL" --git-path clusters --git-timeout 10
	expect_ok
	commit_is "$(head_of main)"
	has "file clusters/prod.yaml name: prod-v1"
	grep -q "^200 x-access-token$" "$T/http.port.log" || fail "token not sent as x-access-token"
	grep -qF "$TOKEN" "$T/out" "$T/err" && fail "the token leaked"
	commit_change clusters/prod.yaml "name: prod-v2" two
	g push -q origin main
	CMKCTL_GIT_TOKEN=$TOKEN probe --git-url "$URL" --git-path clusters --git-timeout 10
	expect_ok
	has "file clusters/prod.yaml name: prod-v2"
	stderr_has "fetching"
	;;

https)
	# TLS through libgit2 over our socket stream; trust is explicit
	make_repo
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
		-addext "subjectAltName=DNS:localhost" -keyout "$T/key.pem" -out "$T/cert.pem" \
		>/dev/null 2>&1 || fail "openssl req"
	TOKEN=tls_token_$(date +%s%N)
	python3 "$(dirname "$0")/http_backend.py" "$T" "$T/https.port" "$TOKEN" "$T/cert.pem" "$T/key.pem" &
	PIDS+=($!)
	for _ in $(seq 100); do [ -s "$T/https.port" ] && break; sleep 0.05; done
	[ -s "$T/https.port" ] || fail "https server did not start"
	URL="https://localhost:$(cat "$T/https.port")/remote.git"
	CMKCTL_GIT_TOKEN=$TOKEN probe --git-url "$URL" --git-timeout 10
	expect_err "authentication" "the TLS certificate of localhost is not trusted"
	CMKCTL_GIT_CA_FILE=$T/cert.pem CMKCTL_GIT_TOKEN=$TOKEN probe --git-url "$URL" --git-path clusters --git-timeout 10
	expect_ok
	commit_is "$(head_of main)"
	has "file clusters/prod.yaml name: prod-v1"
	grep -q "^200 x-access-token$" "$T/https.port.log" || fail "token not sent"
	grep -qF "$TOKEN" "$T/out" "$T/err" && fail "the token leaked"
	;;

ssh)
	# a real sshd on loopback: key auth, known_hosts checking, passphrases
	SSHD=$(command -v sshd || echo /usr/sbin/sshd)
	[ -x "$SSHD" ] || fail "sshd not found (apt-get install openssh-server)"
	# libgit2 1.5's ssh transport leaks 32 bytes per connection inside its
	# own code (no cmkctl frame in the stack); leak checks stay on for every
	# other case, which share all of cmkctl's code but the ssh callbacks
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
	make_repo
	S=$T/ssh
	mkdir -p "$S" && chmod 700 "$S"
	ssh-keygen -q -t ed25519 -N '' -C '' -f "$S/host" || fail "keygen"
	ssh-keygen -q -t ed25519 -N '' -C '' -f "$S/other_host" || fail "keygen"
	ssh-keygen -q -t ed25519 -N '' -C '' -f "$S/client" || fail "keygen"
	ssh-keygen -q -t ed25519 -N '' -C '' -f "$S/stranger" || fail "keygen"
	ssh-keygen -q -t ed25519 -N 'pass phrase 42' -C '' -f "$S/locked" || fail "keygen"
	cat "$S/client.pub" "$S/locked.pub" >"$S/authorized_keys"
	# sshd started by root wants its privilege separation directory
	[ "$(id -u)" != 0 ] || mkdir -p /run/sshd
	for _ in 1 2 3 4 5; do
		PORT=$(free_port)
		cat >"$S/sshd_config" <<-CONF
		Port $PORT
		ListenAddress 127.0.0.1
		HostKey $S/host
		AuthorizedKeysFile $S/authorized_keys
		PidFile $S/sshd.pid
		StrictModes no
		UsePAM no
		PasswordAuthentication no
		KbdInteractiveAuthentication no
		PermitRootLogin prohibit-password
		AllowUsers $(id -un)
		CONF
		"$SSHD" -D -e -f "$S/sshd_config" 2>"$S/sshd.log" &
		SPID=$!
		for _ in $(seq 50); do
			(exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
			kill -0 "$SPID" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$SPID" 2>/dev/null; then PIDS+=("$SPID"); break; fi
		SPID=
	done
	[ -n "$SPID" ] || fail "sshd did not start: $(cat "$S/sshd.log")"
	echo "[127.0.0.1]:$PORT $(cut -d' ' -f1,2 "$S/host.pub")" >"$S/known_hosts"
	echo "[127.0.0.1]:$PORT $(cut -d' ' -f1,2 "$S/other_host.pub")" >"$S/changed_hosts"
	: >"$S/empty_hosts"
	URL="ssh://$(id -un)@127.0.0.1:$PORT$REMOTE"
	export CMKCTL_GIT_KNOWN_HOSTS=$S/known_hosts
	CMKCTL_GIT_SSH_KEY=$S/client probe --git-url "$URL" --git-path clusters --git-timeout 10
	expect_ok
	commit_is "$(head_of main)"
	has "line git ssh://127.0.0.1:$PORT$REMOTE ref HEAD (refs/heads/main) commit $(head_of main) path clusters"
	has "file clusters/prod.yaml name: prod-v1"
	# unknown host, changed host key: refused before any credential is offered
	CMKCTL_GIT_KNOWN_HOSTS=$S/empty_hosts CMKCTL_GIT_SSH_KEY=$S/client probe --git-url "$URL" --git-timeout 10
	expect_err "authentication" "ssh host 127.0.0.1 port $PORT is not in $S/empty_hosts"
	CMKCTL_GIT_KNOWN_HOSTS=$S/changed_hosts CMKCTL_GIT_SSH_KEY=$S/client probe --git-url "$URL" --git-timeout 10
	expect_err "authentication" "does not match $S/changed_hosts"
	# keys the server does not accept, or none at all
	CMKCTL_GIT_SSH_KEY=$S/stranger probe --git-url "$URL" --git-timeout 10
	expect_err "authentication" "ssh key $S/stranger was rejected"
	probe --git-url "$URL" --git-timeout 10
	expect_err "authentication" "set CMKCTL_GIT_SSH_KEY"
	# a key with a passphrase read from a file; a new commit is fetched
	commit_change clusters/prod.yaml "name: prod-v2" two
	g push -q origin main
	echo 'pass phrase 42' >"$S/passphrase"
	CMKCTL_GIT_SSH_KEY=$S/locked CMKCTL_GIT_SSH_PASSPHRASE_FILE=$S/passphrase \
		probe --git-url "$URL" --git-path clusters --git-timeout 10
	expect_ok
	has "file clusters/prod.yaml name: prod-v2"
	stderr_has "fetching"
	;;

validate_cmd)
	# the real command: manifests from git, errors named as in the repository
	[ -n "$CMKCTL" ] && [ -d "$EXAMPLES" ] || fail "needs cmkctl and manifests/examples"
	make_repo
	mkdir -p "$WORK/env/prod"
	cp "$EXAMPLES"/*.yaml "$WORK/env/prod/"
	g add -A
	g commit -q -m examples
	g push -q origin main
	C1=$(head_of main)
	"$CMKCTL" validate --git-url "file://$REMOTE" --git-path env/prod --git-cache "$CACHE" >"$T/out" 2>"$T/err"
	RC=$?
	expect_ok
	has "source: git file://$REMOTE ref HEAD (refs/heads/main) commit $C1 path env/prod"
	grep -q ": valid$" "$T/out" || fail "not reported valid"
	"$CMKCTL" validate --git-url "file://$REMOTE" --git-path env/prod --git-cache "$CACHE" -o json >"$T/out" 2>"$T/err"
	RC=$?
	expect_ok
	grep -qF '"source":{"kind":"git","url":"file://'"$REMOTE"'","ref":"HEAD","refName":"refs/heads/main","commit":"'"$C1"'","path":"env/prod"}' "$T/out" ||
		fail "JSON report lacks the source"
	# break a manifest: the error names the repository path, the commit is printed
	F=$(cd "$WORK" && grep -l "capacity:" env/prod/*.yaml | head -1)
	LINE=$(grep -n "capacity:" "$WORK/$F" | head -1 | cut -d: -f1)
	sed -i "${LINE}s/capacity: .*/capacity: 150/" "$WORK/$F"
	g commit -q -a -m broken
	g push -q origin main
	C2=$(head_of main)
	"$CMKCTL" validate --git-url "file://$REMOTE" --git-ref main --git-path env/prod --git-cache "$CACHE" >"$T/out" 2>"$T/err"
	RC=$?
	[ "$RC" = 1 ] || fail "broken manifest: rc=$RC"
	has "source: git file://$REMOTE ref main (refs/heads/main) commit $C2 path env/prod"
	grep -q "^$F:$LINE:[0-9]*: error: spec.capacity 150" "$T/out" || fail "error not at $F:$LINE"
	grep -q "cmkctl-git-" "$T/out" && fail "a temporary path leaked into the report"
	# source errors are plain errors, usage errors are usage errors
	"$CMKCTL" validate --git-url "file://$REMOTE" --git-commit "$C1" --git-cache "$CACHE" >"$T/out" 2>&1
	RC=$?
	[ "$RC" = 1 ] || fail "pin mismatch: rc=$RC"
	grep -qF "resolved to commit $C2, but --git-commit expects $C1" "$T/out" || fail "pin message"
	"$CMKCTL" validate --git-ref main >"$T/out" 2>&1
	RC=$?
	[ "$RC" = 64 ] || fail "usage: rc=$RC"
	;;

*)
	fail "unknown case"
	;;
esac
echo "ok [$CASE]"
