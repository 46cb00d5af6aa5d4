"""Which p5.js a p5 post runs on: the rule docs/posting.md states, read from the code itself.

Both major versions people write for are bundled (package.json's p5-1 and p5-2 aliases):
1. a comment that names the version (`// p5.js v1.9.0`, `// made with p5@2`) decides;
2. else a `preload()` (1.x only: 2.x removed it) means 1.x;
3. else an `async` setup or an `await load…()` (2.x's promise-based loaders) means 2.x;
4. else 1.x, what most published sketches (the p5 editor's, OpenProcessing's) were written for.
"""

import json
import re
from functools import cache

from django.conf import settings

NAMED = re.compile(r"(?://|/\*)[^\n]*?\bp5(?:\.js)?(?:\s*@|\s+v?|v)([12])(?:\.[0-9x]+)*(?![\w.])", re.IGNORECASE)
PRELOAD = re.compile(r"\bfunction\s+preload\s*\(|\bpreload\s*=\s*(?:function\b|\(|\w+\s*=>)")
ASYNC = re.compile(r"\basync\s+function\s+setup\s*\(|\bsetup\s*=\s*async\b|\bawait\s+(?:\w+\.)?load[A-Z]\w*\s*\(")


def p5_major(code):
    """'1' or '2': the major version of p5.js the code was written for, by the rule above."""
    named = NAMED.search(code)
    if named:
        return named.group(1)
    if PRELOAD.search(code):
        return "1"
    if ASYNC.search(code):
        return "2"
    return "1"


@cache
def p5_versions():
    """{'1': '1.11.13', '2': '2.3.4'}: the exact versions package.json pins (its one place)."""
    dependencies = json.loads((settings.BASE_DIR / "package.json").read_text())["dependencies"]
    return {major: dependencies[f"p5-{major}"].rpartition("@")[2] for major in ("1", "2")}


P5_SCRIPTS = ["vendor/p5/p5-1.min.js", "vendor/p5/p5-2.min.js"]


def p5_script(code):
    """The static name of the p5.js bundle the code runs on."""
    return P5_SCRIPTS[int(p5_major(code)) - 1]
