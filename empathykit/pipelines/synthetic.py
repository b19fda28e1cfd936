"""Synthetic X API v2 tweets for benchmarks and tests (made-up text, made-up ids).

The mix resembles a keyword stream around health: about a third mention
cancer, many use empathy-lexicon words, with retweets, quote posts, replies,
links, mentions, non-English posts, exact and near duplicates and very short
posts, so every filter stage has work. Seeded: the same ``n`` and ``seed``
give the same file.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np

from empathykit.io import atomic_open
from empathykit.lexicons import bundled_lexicon

OPENERS = [
    "my mom was just diagnosed with",
    "sending love to everyone fighting",
    "five years since we lost dad to",
    "nobody tells you how lonely",
    "new study on",
    "so proud of my sister who beat",
    "can anyone recommend",
    "the waiting room again, another round of",
    "thinking of you and your family as you face",
    "fundraiser tonight for",
    "I feel so scared about",
    "grateful for the nurses on the",
    "just read about",
    "please share: free screening for",
    "day 12 of chemo for",
    "watching the game tonight with",
    "our team raised money to fight",
    "I can't stop crying about",
    "stay strong, you are not alone with",
]
TOPICS = [
    "cancer",
    "breast cancer",
    "#cancer",
    "Cancer",
    "lung cancer",
    "leukemia",
    "diabetes",
    "the flu",
    "chemo",
    "#CancerSucks",
    "tumor",
    "cancerous cells",
]
TOPIC_WEIGHTS = np.array([16, 6, 5, 3, 4, 6, 8, 10, 8, 3, 5, 2], float)
FILLER = (
    "today this week really so much the and for with about our every one more time it is was "
    "just need some people who know what going through hard thing life work kids night morning "
    "doctor appointment news results update thank you all support friends"
).split()
SPANISH = [
    "mi madre tiene cáncer y estoy muy triste",
    "gracias por el apoyo durante el tratamiento de cáncer",
    "la lucha contra el cáncer continúa",
]
FRENCH = ["ma tante a un cancer du sein, pensées pour elle", "merci pour votre soutien pendant la chimio"]


def _lexicon_words() -> list[str]:

    return [w for w in bundled_lexicon().words if w != "cancer"]


def generate_tweets(n: int, seed: int = 0):
    """Yield ``n`` v2 tweet objects (dicts)."""
    rng = np.random.default_rng(seed)
    lexicon = _lexicon_words()
    start = datetime(2019, 1, 1, tzinfo=timezone.utc)
    topic_p = TOPIC_WEIGHTS / TOPIC_WEIGHTS.sum()
    recent: list[str] = []
    kinds = rng.choice(7, size=n, p=[0.62, 0.13, 0.04, 0.06, 0.05, 0.03, 0.07])
    for i in range(n):
        kind = kinds[i]
        tweet = {
            "id": str(1_100_000_000_000_000_000 + i * 7919),
            "created_at": (start + timedelta(seconds=int(i * 37))).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "author_id": str(10_000 + int(rng.integers(0, 200_000))),
            "lang": "en",
            "edit_history_tweet_ids": [str(1_100_000_000_000_000_000 + i * 7919)],
        }
        tweet["conversation_id"] = tweet["id"]
        if kind == 1 and recent:  # retweet
            original = recent[int(rng.integers(len(recent)))]
            tweet["text"] = f"RT @user{int(rng.integers(1, 9999))}: {original}"[:280]
            tweet["referenced_tweets"] = [{"type": "retweeted", "id": str(int(rng.integers(10**18, 2 * 10**18)))}]
        elif kind == 2 and recent:  # exact copy
            tweet["text"] = recent[int(rng.integers(len(recent)))]
        elif kind == 3 and recent:  # near copy: case, punctuation, other link
            text = recent[int(rng.integers(len(recent)))]
            tweet["text"] = text.upper().replace(",", "") + " !!"
        elif kind == 4:
            tweet["text"] = (
                SPANISH[int(rng.integers(len(SPANISH)))]
                if rng.random() < 0.6
                else FRENCH[int(rng.integers(len(FRENCH)))]
            )
            tweet["lang"] = "es" if "cáncer" in tweet["text"] or "gracias" in tweet["text"] else "fr"
        elif kind == 5:
            tweet["text"] = ["cancer pain", "ugh chemo", "https://t.co/xyz cancer", "#cancer grief"][
                int(rng.integers(4))
            ]
            tweet["lang"] = "und" if rng.random() < 0.3 else "en"
        else:
            tweet["text"] = _compose(rng, lexicon, topic_p)
            if kind == 6:  # reply or quote
                ref = str(int(rng.integers(10**18, 2 * 10**18)))
                if rng.random() < 0.5:
                    tweet["referenced_tweets"] = [{"type": "replied_to", "id": ref}]
                    tweet["in_reply_to_user_id"] = str(int(rng.integers(10_000, 200_000)))
                else:
                    tweet["referenced_tweets"] = [{"type": "quoted", "id": ref}]
                    if rng.random() < 0.3:
                        tweet["text"] = f"https://t.co/{int(rng.integers(10**9)):x}"
            recent.append(tweet["text"])
            if len(recent) > 500:
                recent.pop(0)
        yield tweet


def _compose(rng: np.random.Generator, lexicon: list[str], topic_p: np.ndarray) -> str:
    parts = [OPENERS[int(rng.integers(len(OPENERS)))]]
    if rng.random() < 0.8:
        parts.append(TOPICS[int(rng.choice(len(TOPICS), p=topic_p))])
    for _ in range(int(rng.integers(3, 14))):
        r = rng.random()
        parts.append(lexicon[int(rng.integers(len(lexicon)))] if r < 0.12 else FILLER[int(rng.integers(len(FILLER)))])
    if rng.random() < 0.3:
        parts.insert(int(rng.integers(1, len(parts))), f"@friend{int(rng.integers(1, 50_000))}")
    if rng.random() < 0.35:
        parts.append(f"https://t.co/{int(rng.integers(10**10)):x}")
    if rng.random() < 0.1:
        parts.append("&amp; more")
    return " ".join(parts)


def write_tweets_jsonl(path: str | Path, n: int, seed: int = 0) -> Path:
    """Write ``n`` synthetic v2 tweets, one JSON object a line."""
    with atomic_open(path) as handle:
        for tweet in generate_tweets(n, seed):
            handle.write(json.dumps(tweet, ensure_ascii=False))
            handle.write("\n")
    return Path(path)
