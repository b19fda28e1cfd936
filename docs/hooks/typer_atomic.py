"""MkDocs hook: keep the generated command reference as mkdocs-typer2 rendered it.

mkdocs-typer2 inserts already-rendered HTML into the page's tree, so the page's own inline
Markdown then runs over it a second time: a usage line such as ``rules delete [OPTIONS] [NAME]``
reads as a reference link, which mkdocstrings' cross-references report as a missing target and
``mkdocs build --strict`` refuses. Marking that text atomic before the inline pass leaves it as
text.
"""

from __future__ import annotations

from markdown import Extension
from markdown.treeprocessors import Treeprocessor
from markdown.util import AtomicString


class _AtomicTyperDocs(Treeprocessor):
    def run(self, root):
        for div in root.iter("div"):
            if div.get("class") == "typer-docs":
                for element in div.iter():
                    if element.text:
                        element.text = AtomicString(element.text)
                    if element.tail and element is not div:
                        element.tail = AtomicString(element.tail)


class _Extension(Extension):
    def extendMarkdown(self, md):
        # the inline pass is registered at priority 20: run before it
        md.treeprocessors.register(_AtomicTyperDocs(md), "empathykit-typer-atomic", 25)


def on_config(config):
    config.markdown_extensions.append(_Extension())
    return config
