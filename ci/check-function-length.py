#!/usr/bin/env python3
"""ci/check-function-length.py [ROOT] [--max N] - no function of cmkctl's own
code (cli, sources, reconciler, planner, providers, common) is longer than N
lines (120): a longer one hides several jobs. Functions are found the way
the project writes them: the opening brace alone at column 0, the closing
brace at column 0. Prints file:line, length and name of each, exits 1."""
import os
import sys

FOLDERS = ("cli", "sources", "reconciler", "planner", "providers", "common")


def long_functions(root, limit):
    found = []
    for folder in FOLDERS:
        for dirpath, _, files in os.walk(os.path.join(root, folder)):
            for name in sorted(files):
                if not name.endswith(".c"):
                    continue
                path = os.path.join(dirpath, name)
                with open(path, errors="replace") as f:
                    lines = f.read().split("\n")
                start = None
                for i, line in enumerate(lines):
                    if line.startswith("{"):
                        start = i
                    elif line.startswith("}") and start is not None:
                        if i - start + 1 > limit:
                            j = start - 1
                            while j > 0 and "(" not in lines[j]:
                                j -= 1
                            found.append((os.path.relpath(path, root), j + 1, i - start + 1,
                                          lines[j].strip()))
                        start = None
    return found


def main(argv):
    args = [a for a in argv[1:]]
    limit = 120
    if "--max" in args:
        k = args.index("--max")
        limit = int(args[k + 1])
        del args[k:k + 2]
    root = args[0] if args else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    found = long_functions(root, limit)
    for path, line, n, head in found:
        print(f"{path}:{line}: function of {n} lines (at most {limit}): {head}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
