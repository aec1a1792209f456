#!/usr/bin/env bash
# git init, add, commit and gc in a shell script: the same commits (the
# dates and names are fixed, so the hashes are too) and the same pack, and
# a graph in which gc's helpers descend from gc, pack-objects from repack.
. "$(dirname "$0")/lib.sh"
cx_need git
pl_start_server
export GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=A GIT_AUTHOR_EMAIL=a@example.org \
  GIT_COMMITTER_NAME=A GIT_COMMITTER_EMAIL=a@example.org \
  GIT_AUTHOR_DATE=2020-01-01T00:00:00Z GIT_COMMITTER_DATE=2020-01-01T00:00:00Z
cx_pair /bin/bash -ec '
git -c init.defaultBranch=main init -q repo
cd repo
seq 1 1000 >numbers
mkdir sub && echo text >sub/file
git add .
git commit -q -m first
echo more >>numbers
git commit -q -a -m second
git gc --quiet
git log --format="%H %s"
git count-objects -v
ls .git/objects/pack
git fsck --no-progress'
grep -q ' second$' "$PL_TMP/base.out" || fail "no commit: $(cat "$PL_TMP/base.out")"

# gc runs its helpers as /usr/lib/git-core/git SUBCOMMAND.
cx_graph 200 'all_exited and (starts("^git gc --quiet") | length == 1)
  and (starts("^/usr/lib/git-core/git pack-objects ") | length == 1) and (starts("^git fsck ") | length == 1)'
cx_check "not one connected graph" 'connected'
cx_check "a git command does not descend from the script" \
  '. as $all | root.ProcessID as $sh | all(starts("^git ")[]; . as $s | $all | descends_from_pid($s; $sh))'
cx_check "a helper of git gc does not descend from it" \
  '. as $all | starts("^/usr/lib/git-core/git (pack-refs|reflog|repack|prune|worktree|rerere) ")
   | length >= 4 and all(.[]; . as $s | $all | descends_from_process($s; "^git gc "))'
cx_check "pack-objects does not descend from repack" \
  'starts("^/usr/lib/git-core/git pack-objects ")[0] as $p
   | descends_from_process($p; "^/usr/lib/git-core/git repack ")'

