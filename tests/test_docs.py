"""Every shell and Python block of the documentation runs as written, in order, page by page.

Each page gets its own working folder, laid out like a checkout for what the guides read
(``tests/`` and ``empathykit/`` linked in: the bundled sample tweets and the data cuts), with
the session's real Label Studio in ``LABEL_STUDIO_URL``/``LABEL_STUDIO_API_KEY`` and the
virtual environment's ``bin`` first on ``PATH`` (as after ``source .venv/bin/activate``). The
encoder the guides name, ``all-MiniLM-L6-v2/``, is a tiny randomly initialised BERT built on
the spot (no downloads). What happens between blocks in real life, annotators answering a
round, is done by the ``docs-test`` actions below. The extractor and runner are
``tests/docs_blocks.py``.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests import docs_blocks
from tests.docs_blocks import Block, BlockFailed

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
ENCODER = "all-MiniLM-L6-v2"
LABELS = ("seeking", "providing", "none")
PAGES = sorted(DOCS.rglob("*.md"))
BLOCKS = [b for page in PAGES for b in docs_blocks.blocks(page, page.relative_to(DOCS).as_posix())]


@dataclass
class Workspace:
    folder: Path
    env: dict[str, str]
    failed: str | None = None


@pytest.fixture(scope="module")
def workspaces(tmp_path_factory, studio):
    made: dict[str, Workspace] = {}

    def get(guide: str) -> Workspace:
        if guide not in made:
            made[guide] = _workspace(tmp_path_factory.mktemp(Path(guide).stem), studio)
        return made[guide]

    return get


def _workspace(folder: Path, studio) -> Workspace:
    from tests.train_fixtures import build_tiny_model

    for name in ("tests", "empathykit"):
        (folder / name).symlink_to(ROOT / name, target_is_directory=True)
    build_tiny_model(folder / ENCODER)
    return Workspace(folder, docs_blocks.environment(folder, studio.env()))


@pytest.mark.studio
@pytest.mark.slow
@pytest.mark.parametrize("block", BLOCKS, ids=lambda b: f"{b.guide}#{b.number}")
def test_docs_block_runs(block: Block, workspaces, studio):
    workspace = workspaces(block.guide)
    if workspace.failed:
        pytest.skip(f"{block.where}: not run, an earlier block failed ({workspace.failed})")
    if block.skip:
        pytest.skip(f"{block.where}: {block.skip}")
    for action, *args in block.actions:
        ACTIONS[action](studio, *args)
    try:
        docs_blocks.run(block, workspace.folder, workspace.env)
    except BlockFailed as failure:
        workspace.failed = block.where
        message = str(failure)
    else:
        return
    pytest.fail(message, pytrace=False)  # outside the except: the message alone, not chained


def annotate(studio, title: str, annotators: str = "3") -> None:
    """Simulated annotators answer every task of the project titled ``title`` that nobody has
    annotated yet (seek-provide): a label that follows the item, the third annotator differing
    on every fourth task, so agreement is high but not perfect and some items need adjudication."""
    from empathykit.schemas import get_schema

    schema = get_schema("seek-provide")
    client = studio.client()
    project = min((p for p in client.projects.list() if p.title == title), key=lambda p: p.id)
    accounts = studio.make_annotators(int(annotators))
    tasks = client.tasks.list(project=project.id, fields="all", page_size=1000)
    open_tasks = sorted(
        (t for t in tasks if not t.total_annotations and not t.cancelled_annotations), key=lambda t: t.id
    )
    for n, task in enumerate(open_tasks):
        base = zlib.crc32(str(task.data.get("item_id", task.id)).encode())
        for k, account in enumerate(accounts):
            label = LABELS[(base + (k == 2 and n % 4 == 0)) % 3]
            studio.submit(task.id, schema.to_results({"empathy": label}), account)


ACTIONS = {"annotate": annotate}


def test_every_action_named_in_the_docs_exists():
    named = {action[0] for block in BLOCKS for action in block.actions}
    assert named <= set(ACTIONS), f"unknown docs-test actions: {named - set(ACTIONS)}"


def test_the_guides_have_blocks_to_run():
    guides = {b.guide for b in BLOCKS if not b.skip}
    assert {"guides/data-lead.md", "guides/modeler.md", "guides/loop.md"} <= guides


GUIDE = """# A guide

Some text.

```bash
echo first
```

<!-- skip: needs the live X API -->

```bash
collect-from-x
```

<!-- docs-test: annotate "Round 1" 2 -->
```bash
echo fine
empathykit-no-such-command --out x.parquet \\
    --flag
echo never
```

```text
not run
```

```python
values = {"a": 1}
print(values["b"])
```
"""


def test_blocks_are_found_in_order_with_their_marks(tmp_path):
    page = tmp_path / "guide.md"
    page.write_text(GUIDE)
    found = docs_blocks.blocks(page, "guide.md")
    assert [(b.number, b.line, b.language) for b in found] == [
        (1, 5, "bash"),
        (2, 11, "bash"),
        (3, 16, "bash"),
        (4, 27, "python"),
    ]
    assert found[1].skip == "needs the live X API" and found[0].skip is None
    assert found[2].actions == [["annotate", "Round 1", "2"]] and found[3].actions == []


def test_a_failing_block_names_the_guide_the_block_and_the_command(tmp_path):
    page = tmp_path / "guide.md"
    page.write_text(GUIDE)
    first, _, shell, python = docs_blocks.blocks(page, "guides/guide.md")
    env = docs_blocks.environment(tmp_path, {})
    assert docs_blocks.run(first, tmp_path, env).strip() == "first"
    with pytest.raises(BlockFailed) as failed:
        docs_blocks.run(shell, tmp_path, env)
    message = str(failed.value)
    assert message.startswith("guides/guide.md, block 3 (line 16): `empathykit-no-such-command --out x.parquet")
    assert "--flag" in message.splitlines()[0] and "never" not in message
    with pytest.raises(BlockFailed) as failed:
        docs_blocks.run(python, tmp_path, env)
    first_line = str(failed.value).splitlines()[0]
    assert first_line == (
        "guides/guide.md, block 4 (line 27): `print(values[\"b\"])` failed (exit 1) at line 29: KeyError: 'b'"
    )


def test_the_readme_keeps_the_two_commands_and_its_links_resolve():
    import re

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "bash scripts/quickstart.sh" in readme and "bash scripts/test.sh" in readme
    assert "source .venv/bin/activate" in readme
    targets = re.findall(r"\]\(([^)#\s]+)", readme)
    local = [t for t in targets if "://" not in t]
    assert local, "the README links into the docs"
    missing = [t for t in local if not (ROOT / t).exists()]
    assert not missing, f"README links to files that do not exist: {missing}"
