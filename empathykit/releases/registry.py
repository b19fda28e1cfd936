"""What each published data set becomes as an export: its configs (label
columns, kinds, inputs), the release splits it has, and the facts its card
states (source, license, citation).

``RELEASES[name].read(path, on_problem)`` reads the release with its reader
(``releases/``) and returns :class:`~empathykit.releases.configs.ImportedConfig`s,
one per task variant (``configs.py``). Nothing here writes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from empathykit.errors import InputError
from empathykit.releases import labelled
from empathykit.releases.common import OnProblem
from empathykit.releases.configs import (
    ImportedConfig,
    emolit_configs,
    empathic_stories_configs,
    empathic_story_pairs_configs,
    epitome_configs,
    goemotions_configs,
    newsemp_configs,
    sst2_configs,
    twittemp_configs,
)
from empathykit.releases.epitome import records_from_epitome
from empathykit.releases.readers import (
    records_from_emolit,
    records_from_empathic_stories,
    records_from_empathic_story_pairs,
)


@dataclass(frozen=True)
class Release:
    name: str
    pretty_name: str
    read: Callable[[Path, OnProblem], list[ImportedConfig]]
    source: str
    license: str  # the Hub's license id
    license_note: str
    citation: str
    language: str = "en"
    task_categories: tuple[str, ...] = ("text-classification",)
    #: release splits kept as they are; "carve" = train/test given, validation carved from train
    splits: str = "none"  # "none" | "all" | "carve" | "if-complete"
    #: ``annotate push -i NAME:PATH``: the records reader and the schema (with options) they feed;
    #: None where the release has no annotation schema (it is exported and trained on only)
    records: Callable[..., list[dict[str, Any]]] | None = None
    schema: str | None = None
    schema_options: dict[str, Any] = field(default_factory=dict)


_SHARMA = (
    "@inproceedings{sharma2020empathy,\n  title={A Computational Approach to Understanding Empathy Expressed "
    "in Text-Based Mental Health Support},\n  author={Sharma, Ashish and Miner, Adam S and Atkins, David C and "
    "Althoff, Tim},\n  year={2020},\n  booktitle={EMNLP}\n}"
)

#: source, license id, license note and citation of both EmpathicStories releases
_SHEN = (
    "EmpathicStories, Shen et al. 2023 (github.com/mitmedialab/empathic-stories)",
    "apache-2.0",
    "Apache-2.0 (copy published by yuxiaw/Empathic-Similarity)",
    "Jocelyn Shen et al. (2023). Modeling Empathic Similarity in Personal Narratives. EMNLP.",
)

RELEASES: dict[str, Release] = {
    r.name: r
    for r in (
        Release(
            "epitome",
            "EPITOME (Reddit)",
            epitome_configs,
            "EPITOME Reddit release, Sharma et al. 2020 (github.com/behavioral-data/Empathy-Mental-Health)",
            "other",
            "University of Washington attribution license (the release's LICENSE.txt): keep the "
            "copyright notice, acknowledge UW and cite the paper",
            _SHARMA,
            records=records_from_epitome,
            schema="epitome",
        ),
        Release(
            "newsemp",
            "NewsEmp (empathic reactions to news)",
            newsemp_configs,
            "Empathic reactions to news stories, Buechel et al. 2018 (messages.csv)",
            "cc-by-4.0",
            "CC BY 4.0",
            "Sven Buechel, Anneke Buffone, Barry Slaff, Lyle Ungar and João Sedoc (2018). Modeling Empathy and "
            "Distress in Reaction to News Stories. EMNLP.",
            task_categories=("text-classification",),
        ),
        Release(
            "twittemp",
            "TwittEmp (seeking / providing empathy)",
            twittemp_configs,
            "TwittEmp release CSV, Hosseini & Caragea 2021 (github.com/Mahhos/KDempathy)",
            "other",
            "released by the authors for research purposes; tweets are shared under X's terms (share ids: --dehydrate)",
            "Mahshid Hosseini and Cornelia Caragea (2021). Distilling Knowledge for Empathy Detection. "
            "Findings of EMNLP.",
            records=labelled.records_from_twittemp,
            schema="seek-provide",
        ),
        Release(
            "emolit",
            "Emolit (emotions in literature)",
            emolit_configs,
            "Emolit, Rei and Mladenić (Zenodo record 7883954), a derived copy",
            "cc-by-sa-4.0",
            "CC BY-SA 4.0",
            "Luis Rei and Dunja Mladenić. Emolit (Zenodo record 7883954).",
            splits="carve",
            records=records_from_emolit,
            schema="emotion",
            schema_options={"labels": "emolit"},
        ),
        Release(
            "empathic-stories",
            "EmpathicStories (stories)",
            empathic_stories_configs,
            *_SHEN,
            task_categories=("text-classification",),
            splits="if-complete",
            records=records_from_empathic_stories,
            schema="story-features",
        ),
        Release(
            "empathic-story-pairs",
            "EmpathicStories (story pairs)",
            empathic_story_pairs_configs,
            *_SHEN,
            task_categories=("sentence-similarity",),
            splits="if-complete",
            records=records_from_empathic_story_pairs,
            schema="story-pair",
        ),
        Release(
            "sst2",
            "SST-2 (sentence sentiment)",
            sst2_configs,
            "Stanford Sentiment Treebank, binary sentence version (Socher et al. 2013)",
            "mit",
            "copy published under MIT",
            "Richard Socher et al. (2013). Recursive Deep Models for Semantic "
            "Compositionality Over a Sentiment Treebank. EMNLP.",
            splits="all",
        ),
        Release(
            "goemotions",
            "GoEmotions (single label)",
            goemotions_configs,
            "GoEmotions (Demszky et al. 2020), single-label derived copy",
            "apache-2.0",
            "Apache-2.0",
            "Dorottya Demszky et al. (2020). GoEmotions: A Dataset of Fine-Grained Emotions. ACL.",
            splits="all",
        ),
    )
}


def release(name: str) -> Release:
    if name not in RELEASES:
        raise InputError(
            f"unknown data set {name!r}; expected one of {', '.join(RELEASES)}",
            hint="write DATASET:PATH, e.g. epitome:path/to/dataset/",
        )
    return RELEASES[name]


#: ``NAME:PATH`` with a name of two or more characters (``C:\\data`` is a path).
_SPEC = re.compile(r"^([a-z0-9][a-z0-9_-]+):(.+)$")


def is_import_spec(spec: str | Path) -> bool:
    """Whether ``spec`` reads ``NAME:PATH`` (known name or not) rather than an existing file."""
    return bool(_SPEC.match(str(spec))) and not Path(str(spec)).exists()


def parse_spec(spec: str | Path) -> tuple[str, Path] | None:
    """``(dataset, path)`` for ``DATASET:PATH``; None for a plain path. The one parser of
    ``DATASET:PATH`` (push, export and train read data sets through it); an unknown
    dataset name is an ``InputError`` listing the known ones."""
    if not is_import_spec(spec):
        return None
    name, path = _SPEC.match(str(spec)).groups()
    return release(name).name, Path(path)


def pushable() -> list[str]:
    """Data sets ``annotate push -i NAME:PATH`` takes (those with an annotation schema)."""
    return [name for name, r in RELEASES.items() if r.records is not None]


def read_dataset(name: str, path: str | Path, *, on_problem: OnProblem | None = None) -> list[dict[str, Any]]:
    """Records of the released data set ``name`` at ``path``, ready for ``annotate push``."""
    rel = release(name)
    if rel.records is None:
        raise InputError(
            f"{name}: no annotation schema reads this data set, so it cannot be pushed; "
            f"push one of {', '.join(pushable())}",
            hint=f"export or train on it instead: empathykit export {name}:PATH -o OUT",
        )
    return rel.records(path, on_problem=on_problem)
