#!/usr/bin/env python3
"""Checks that every #include "..." of the repository follows docs/design.md's dependency table.

The table is the one under the heading `## Parts and dependencies`, one row per folder:

    | `folder` | what it holds | `core`, `task` |

The first column names a project folder (nested folders such as `worker/model` get their own
row), the third the folders its files may include: backticked and comma-separated, empty for
none, `*` for anything. Other text in that column (e.g. "SQLite") is ignored. A file belongs to
the row of the longest folder that contains it; a folder may always include itself.

Every *.h and *.cc below the root (except build*/, third_party/ and hidden folders) is scanned.
Reported, one line each, and the exit status is 1 when there is any:
  * file:line: folder X may not include Y (allowed: ...)   an include the table does not allow
  * file: folder X has no row in the table                  a source folder the table misses
  * include cycle between folders: A -> B -> A              folders that include each other
An include resolves against the root (the include root), then against the including file's
folder; a path that matches no row and no file (e.g. "absl/status/status.h") is a third-party
header and is ignored.

Usage: scripts/check-layering.py [--root DIR] [--design FILE]
  (defaults: the repository holding this script, and ROOT/docs/design.md)
"""

import argparse
import os
import re
import sys

HEADING = "## Parts and dependencies"
INCLUDE_RE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
BACKTICKED_RE = re.compile(r"`([^`]*)`")
SOURCE_SUFFIXES = (".h", ".cc")


def normalize_folder(name):
    return name.strip().strip("/")


def parse_table(design_text):
    """Returns {folder: allowed}, allowed being a set of folders or None for anything."""
    lines = design_text.splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if line.strip() == HEADING)
    except StopIteration:
        raise ValueError(f"no heading '{HEADING}'")
    rows = {}
    in_table = False
    for line in lines[start + 1:]:
        stripped = line.strip()
        if stripped.startswith("#"):
            break  # the next section
        if not stripped.startswith("|"):
            if in_table:
                break  # the table ended
            continue
        in_table = True
        cells = [cell.strip() for cell in stripped.strip("|").split("|")]
        if len(cells) < 3:
            continue
        folder_cell = BACKTICKED_RE.fullmatch(cells[0])
        if folder_cell is None:
            continue  # the header or the separator row
        folder = normalize_folder(folder_cell.group(1))
        deps = cells[2]
        if deps.strip() == "*" or "`*`" in deps:
            rows[folder] = None
        else:
            rows[folder] = {normalize_folder(d) for d in BACKTICKED_RE.findall(deps)}
    if not rows:
        raise ValueError(f"no table rows under '{HEADING}'")
    return rows


def folder_of(path, rows):
    """The longest row folder containing the repository-relative `path`, or None."""
    best = None
    for folder in rows:
        if path == folder or path.startswith(folder + "/"):
            if best is None or len(folder) > len(best):
                best = folder
    return best


def source_files(root):
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        rel_dir = "" if rel_dir == "." else rel_dir.replace(os.sep, "/")
        if rel_dir == "":
            dirnames[:] = [d for d in dirnames
                           if not d.startswith("build") and d != "third_party"]
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.endswith(SOURCE_SUFFIXES):
                yield f"{rel_dir}/{name}" if rel_dir else name


def resolve(root, including, target):
    """The repository-relative path `target` names, from `including`'s point of view."""
    if os.path.exists(os.path.join(root, target)):
        return os.path.normpath(target).replace(os.sep, "/")
    sibling = os.path.normpath(os.path.join(os.path.dirname(including), target))
    if os.path.exists(os.path.join(root, sibling)):
        return sibling.replace(os.sep, "/")
    return os.path.normpath(target).replace(os.sep, "/")


def find_cycles(edges):
    """Each cycle of the folder graph `edges` ({a: {b, ...}}) once, as a list a, b, ..., a."""
    cycles = []
    seen = set()
    for start in sorted(edges):
        stack = [(start, [start])]
        while stack:
            node, path = stack.pop()
            for nxt in sorted(edges.get(node, ())):
                if nxt == start:
                    key = frozenset(path)
                    if key not in seen:
                        seen.add(key)
                        cycles.append(path + [start])
                elif nxt not in path and nxt > start:
                    stack.append((nxt, path + [nxt]))
    return cycles


def check(root, rows):
    """Returns the problem lines for the tree at `root`."""
    problems = []
    edges = {}
    missing_rows = set()
    for path in source_files(root):
        folder = folder_of(path, rows)
        if folder is None:
            missing = os.path.dirname(path) or "."
            if missing not in missing_rows:
                missing_rows.add(missing)
                problems.append(f"{path}: folder {missing} has no row in the table")
            continue
        allowed = rows[folder]
        with open(os.path.join(root, path), encoding="utf-8", errors="replace") as f:
            for number, line in enumerate(f, 1):
                match = INCLUDE_RE.match(line)
                if match is None:
                    continue
                target = resolve(root, path, match.group(1))
                target_folder = folder_of(target, rows)
                if target_folder is None:
                    if os.path.exists(os.path.join(root, target)):
                        target_folder = os.path.dirname(target) or "."
                    else:
                        continue  # a third-party header
                if target_folder == folder:
                    continue
                edges.setdefault(folder, set()).add(target_folder)
                if allowed is not None and target_folder not in allowed:
                    listed = ", ".join(sorted(allowed)) or "none"
                    problems.append(f"{path}:{number}: folder {folder} may not include "
                                    f"{target_folder} (allowed: {listed})")
    for cycle in find_cycles(edges):
        problems.append("include cycle between folders: " + " -> ".join(cycle))
    return problems


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=os.path.dirname(os.path.dirname(os.path.abspath(
        __file__))))
    parser.add_argument("--design", help="the design document (default ROOT/docs/design.md)")
    args = parser.parse_args(argv)
    design = args.design or os.path.join(args.root, "docs", "design.md")
    try:
        with open(design, encoding="utf-8") as f:
            rows = parse_table(f.read())
    except (OSError, ValueError) as e:
        print(f"check-layering: {design}: {e}", file=sys.stderr)
        return 2
    problems = check(args.root, rows)
    for line in problems:
        print(line)
    if problems:
        print(f"check-layering: {len(problems)} problem(s); the allowed dependencies are in "
              f"{design} under '{HEADING}'", file=sys.stderr)
        return 1
    print(f"check-layering: every include follows {design}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
