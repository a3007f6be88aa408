"""The test helpers themselves: visible_text() reads a page as a reader sees it (a wrong helper
would let assertions on page text pass vacuously), and benchmarks/ and tools/ stand without the
test package (what they share with the tests is in tools/testkit.py and tools/servers.py)."""

from __future__ import annotations

import ast
import subprocess
import sys

from tests.helpers import visible_text
from tools.servers import PROJECT_ROOT

PAGE = (
    "<!DOCTYPE html><html><head><title>Title</title><script>var hidden = 1;</script>"
    "<style>p { color: red }</style></head><body><header>Skip</header>"
    '<main id="main"><h1>Your   result</h1><p>It&#39;s <strong>12</strong>/30 &amp; '
    '<a href="/about">what\nhappens next</a>.<br>Line two</p>'
    "<dl><dt>Pregnancy or birth</dt><dd>pregnant</dd></dl>"
    '<label for="x">Name</label><input id="x" name="x"><button>Send</button></main>'
    "<footer>&copy; 2026</footer></body></html>"
)


def test_visible_text_joins_inline_tags_unescapes_and_folds_white_space():
    assert visible_text(PAGE) == (
        "Title Skip Your result It's 12/30 & what happens next. Line two Pregnancy or birth "
        "pregnant Name Send © 2026"
    )


def test_visible_text_puts_each_block_on_a_line_of_its_own():
    assert visible_text(PAGE, blocks="\n", main_only=True).splitlines() == [
        "Your result",
        "It's 12/30 & what happens next.",
        "Line two",
        "Pregnancy or birth",
        "pregnant",
        "Name Send",
    ]


def test_visible_text_of_main_only_and_of_a_fragment_that_never_closes_it():
    assert visible_text(PAGE, main_only=True).startswith("Your result It's")
    assert visible_text(PAGE, main_only=True).endswith("Name Send")
    assert visible_text('<p>before</p><main id="main"><section><p>Call <a>103</a>') == (
        "before Call 103"
    )
    assert visible_text('<p>before</p><main id="main"><p>Call 103', main_only=True) == "Call 103"


def test_visible_text_reads_a_response(client):
    assert "Edinburgh Postnatal Depression Scale" in visible_text(client.get("/"))


def test_benchmarks_and_tools_import_nothing_from_the_test_package():
    importing_tests = []
    for folder in ("benchmarks", "tools"):
        for path in sorted((PROJECT_ROOT / folder).glob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                modules = (
                    [alias.name for alias in node.names]
                    if isinstance(node, ast.Import)
                    else [node.module or ""]
                    if isinstance(node, ast.ImportFrom)
                    else []
                )
                importing_tests += [
                    f"{folder}/{path.name}: {module}"
                    for module in modules
                    if module == "tests" or module.startswith("tests.")
                ]
    assert importing_tests == []


def test_the_testkit_and_the_benchmarks_import_without_the_test_package():
    modules = "tools.testkit, tools.servers, benchmarks.inprocess, benchmarks.load"
    loaded = subprocess.run(
        [sys.executable, "-c", f"import sys, {modules}; print('tests' in sys.modules)"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert loaded.stdout.strip() == "False"
