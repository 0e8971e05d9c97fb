#!/usr/bin/env python3
"""Tests of scripts/check-layering.py on small trees written to a temporary folder, checked
against the fixture tests/scripts/layering_design.md."""

import contextlib
import importlib.util
import io
import os
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "..", "..", "scripts", "check-layering.py")
DESIGN = os.path.join(HERE, "layering_design.md")

spec = importlib.util.spec_from_file_location("check_layering", SCRIPT)
check_layering = importlib.util.module_from_spec(spec)
spec.loader.exec_module(check_layering)

# A tree that follows the fixture's table: path -> file text.
GOOD_TREE = {
    "base/value.h": '#include <string>\n#include "absl/status/status.h"\n',
    "base/value.cc": '#include "base/value.h"\n',
    "store/store.h": '#include "base/value.h"\n',
    "store/store.cc": '#include "store.h"\n',  # relative to the including file
    "app/main.cc": '#include "store/store.h"\n#include "app/plugin/plugin.h"\n',
    "app/plugin/plugin.h": '#include "base/value.h"\n',
    "tests/store_test.cc": '#include "app/plugin/plugin.h"\n#include "gtest/gtest.h"\n',
    "build/generated.h": '#include "tests/anything.h"\n',  # build folders are skipped
    "third_party/lib.h": '#include "app/main.h"\n',
    "README.md": '#include "app/main.h"\n',  # not a source file
}


class CheckLayeringTest(unittest.TestCase):
    def run_check(self, changes):
        """Runs the script's main on GOOD_TREE with `changes` applied; returns (status, lines)."""
        tree = dict(GOOD_TREE, **changes)
        with tempfile.TemporaryDirectory() as root:
            for path, text in tree.items():
                full = os.path.join(root, path)
                os.makedirs(os.path.dirname(full), exist_ok=True)
                with open(full, "w", encoding="utf-8") as f:
                    f.write(text)
            out = io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
                status = check_layering.main(["--root", root, "--design", DESIGN])
        return status, out.getvalue().splitlines()

    def test_table_rows_come_from_the_heading_section_only(self):
        with open(DESIGN, encoding="utf-8") as f:
            rows = check_layering.parse_table(f.read())
        self.assertEqual(rows, {
            "base": set(), "store": {"base"}, "app": {"base", "store", "app/plugin"},
            "app/plugin": {"base"}, "tests": None,
        })

    def test_missing_heading_is_an_error(self):
        with self.assertRaisesRegex(ValueError, "Parts and dependencies"):
            check_layering.parse_table("# design\n| `a` | b | `c` |\n")

    def test_a_tree_that_follows_the_table_passes(self):
        status, lines = self.run_check({})
        self.assertEqual(status, 0, lines)

    def test_a_forbidden_include_is_reported_with_file_line_and_allowed_folders(self):
        status, lines = self.run_check(
            {"store/store.cc": '#include "store/store.h"\n\n#include "app/plugin/plugin.h"\n'})
        self.assertEqual(status, 1)
        self.assertIn("store/store.cc:3: folder store may not include app/plugin (allowed: base)",
                      lines)

    def test_a_folder_without_dependencies_may_include_only_itself(self):
        status, lines = self.run_check({"base/value.cc": '#include "store/store.h"\n'})
        self.assertEqual(status, 1)
        self.assertIn("base/value.cc:1: folder base may not include store (allowed: none)", lines)

    def test_a_nested_folder_has_its_own_row(self):
        # app may include store, but app/plugin may not.
        status, lines = self.run_check({"app/plugin/plugin.cc": '#include "store/store.h"\n'})
        self.assertEqual(status, 1)
        self.assertIn(
            "app/plugin/plugin.cc:1: folder app/plugin may not include store (allowed: base)",
            lines)

    def test_a_source_folder_without_a_row_fails(self):
        status, lines = self.run_check({"extra/thing.h": "", "extra/thing.cc": ""})
        self.assertEqual(status, 1)
        self.assertEqual(lines, ["extra/thing.cc: folder extra has no row in the table"])

    def test_an_include_of_a_folder_without_a_row_is_forbidden(self):
        status, lines = self.run_check({"extra/thing.h": "",
                                        "app/use.cc": '#include "extra/thing.h"\n'})
        self.assertEqual(status, 1)
        self.assertIn(
            "app/use.cc:1: folder app may not include extra (allowed: app/plugin, base, store)",
            lines)

    def test_include_cycles_between_folders_fail_even_when_each_include_is_allowed(self):
        # tests may include anything; store -> tests is forbidden, so the cycle is reported too.
        status, lines = self.run_check({"store/store.cc": '#include "tests/helper.h"\n',
                                        "tests/helper.h": '#include "store/store.h"\n'})
        self.assertEqual(status, 1)
        self.assertIn("include cycle between folders: store -> tests -> store", lines)


if __name__ == "__main__":
    unittest.main()
