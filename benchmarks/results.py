"""One section of benchmarks/RESULTS.md, written by the benchmark that measures it."""

from pathlib import Path

RESULTS = Path(__file__).with_name("RESULTS.md")


def write_section(heading, text):
    """Put ``text`` (which starts with ``heading``, a ``## `` line) in place of that section.

    The other sections stay as they are; a new section goes at the end.
    """
    existing = RESULTS.read_text() if RESULTS.exists() else ""
    before, found, after = existing.partition(heading)
    after = after[after.index("\n## ") + 1 :] if found and "\n## " in after else ""
    parts = [before.rstrip("\n"), text.rstrip("\n"), after.rstrip("\n")]
    RESULTS.write_text("\n\n".join(part for part in parts if part) + "\n")
