#!/usr/bin/env bash
# ci/check-layers.sh - fail on an #include that goes against the layers
# (README "Layout"):
#
#   cli -> reconciler -> planner, providers, sources -> common
#
# A folder may include its own headers and those of the folders below it,
# never a folder above it or beside it:
#   common/      only common/
#   planner/     planner/, common/                (no providers/, no <curl/...>)
#   providers/   providers/, common/              (never a manifest: no planner/)
#   sources/     sources/, common/                (no providers/, no <curl/...>)
#   reconciler/  all but cli/                     (reconciler -> providers is fine)
#   cli/         everything
# Tests (tests/) may include any layer and are not checked.
#
# usage: ci/check-layers.sh [ROOT]   (ROOT: the tree to check, default: this
# repository). Prints one line per violation, "file:line: rule", and exits
# 1 when there is any, 0 when there is none, 2 on a usage error.
set -euo pipefail

root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
if [ ! -d "$root" ]; then
  echo "check-layers: no such directory: $root" >&2
  exit 2
fi
cd "$root"

# folder -> the project folders it may include (besides itself)
declare -A allowed=(
  [common]=""
  [planner]="common"
  [providers]="common"
  [sources]="common"
  [reconciler]="common planner providers sources"
  [cli]="common planner providers sources reconciler"
)
project_dirs="common planner providers sources reconciler cli"
# system headers a folder must not use: the network stays in providers/
declare -A banned_system=(
  [planner]="curl"
  [sources]="curl"
)

include_re='^[[:space:]]*#[[:space:]]*include[[:space:]]*([<"])([^">]+)[">]'

violations=0
report() {
  echo "$1: $2"
  violations=$((violations + 1))
}

for folder in $project_dirs; do
  [ -d "$folder" ] || continue
  while IFS= read -r -d '' file; do
    lineno=0
    while IFS= read -r line || [ -n "$line" ]; do
      lineno=$((lineno + 1))
      [[ $line =~ $include_re ]] || continue
      delim=${BASH_REMATCH[1]}
      target=${BASH_REMATCH[2]}
      top=${target%%/*}
      if [ "$top" = "$target" ]; then
        continue # "x.h" or <stdio.h>: no folder named
      fi
      if [ "$delim" = '<' ]; then
        for sys in ${banned_system[$folder]:-}; do
          if [ "$top" = "$sys" ]; then
            report "$file:$lineno" "$folder/ must not include <$target> (only providers/ talks to the network)"
          fi
        done
        continue
      fi
      case " $project_dirs " in
        *" $top "*) ;;
        *) continue ;; # not a project folder
      esac
      [ "$top" = "$folder" ] && continue
      case " ${allowed[$folder]} " in
        *" $top "*) continue ;;
      esac
      if [ "$top" = cli ]; then
        rule="nothing outside cli/ may include cli/ (pass settings through an options struct)"
      else
        rule="$folder/ must not include $top/ (layers: cli -> reconciler -> planner, providers, sources -> common)"
      fi
      report "$file:$lineno" "$rule \"$target\""
    done <"$file"
  done < <(find "$folder" -type f \( -name '*.c' -o -name '*.h' \) -print0 | sort -z)
done

if [ "$violations" -gt 0 ]; then
  echo "check-layers: $violations forbidden include(s)" >&2
  exit 1
fi
exit 0
