"""Reading comments offline: PII redaction, sentiment (VADER) and themes (TF-IDF + NMF).

Redaction runs before any analysis or display: e-mail addresses become ``[email]`` and phone
numbers (7 or more digits, with spaces, dots, dashes, brackets or a leading +) ``[phone]``. The raw
comment stays only in the operational store, the one erasable place for PII.

VADER is a lexicon-based scorer: fast, deterministic and offline, but it reads words, not
context (e.g. "support never answered" scores positive because "support" is a positive word).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_PHONE = re.compile(r"(?<![\w])\+?\(?\d[\d\s().-]{5,}\d(?![\w])")
_DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}")


def redact(text: str) -> str:
    """Replace e-mail addresses and phone numbers.

    Examples
    --------
    >>> redact("Call me on +44 20 7946 0958 or mail ann.lee@example.co.uk, order 12345")
    'Call me on [phone] or mail [email], order 12345'
    """
    text = _EMAIL.sub("[email]", text)
    return _PHONE.sub(_phone, text)


def _phone(match: re.Match[str]) -> str:
    found = match.group()
    if sum(c.isdigit() for c in found) < 7 or _DATE.fullmatch(found.strip()):
        return found  # short numbers (order ids, prices) and dates are not phone numbers
    return "[phone]"


def sentiment(texts: list[str]) -> list[float]:
    """VADER compound score per text, -1 (negative) to 1 (positive)."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    return [float(analyzer.polarity_scores(t)["compound"]) for t in texts]


@dataclass(frozen=True)
class Theme:
    """A theme: its top words and the comments that express it most."""

    words: list[str]
    size: int
    examples: list[str]


def themes(texts: list[str], *, n_themes: int = 5, n_words: int = 5,
           n_examples: int = 3, random_state: int = 0) -> list[Theme]:
    """Group comments into themes with TF-IDF and non-negative matrix factorisation."""
    from sklearn.decomposition import NMF
    from sklearn.feature_extraction.text import TfidfVectorizer

    docs = [t for t in texts if t and t.strip()]
    if len(docs) < 2:
        return []
    vectorizer = TfidfVectorizer(stop_words="english", max_df=0.9, min_df=1,
                                 token_pattern=r"(?u)\b[a-zA-Z][a-zA-Z]+\b")
    try:
        matrix = vectorizer.fit_transform(docs)
    except ValueError:  # nothing but stop words
        return []
    k = max(1, min(n_themes, matrix.shape[0] - 1, matrix.shape[1]))
    model = NMF(n_components=k, init="nndsvda", random_state=random_state, max_iter=500)
    # identical comments are reconstructed exactly and the squared residual rounds to -1e-17;
    # sklearn takes its square root for the reconstruction error (not used here)
    with np.errstate(invalid="ignore"):
        weights = model.fit_transform(matrix)
    words = vectorizer.get_feature_names_out()
    owner = weights.argmax(axis=1)
    out = []
    for i, component in enumerate(model.components_):
        top = [str(words[j]) for j in component.argsort()[::-1][:n_words] if component[j] > 0]
        members = [j for j in weights[:, i].argsort()[::-1] if owner[j] == i]
        out.append(Theme(top, len(members), [docs[j] for j in members[:n_examples]]))
    return sorted([t for t in out if t.size], key=lambda t: -t.size)


def read_comments(texts: list[str], **kwargs: Any) -> dict[str, Any]:
    """Redact, score and group comments: ``{"comments": [...], "themes": [...]}``."""
    clean = [redact(t) for t in texts if t and t.strip()]
    scores = sentiment(clean)
    return {
        "comments": [{"comment": c, "sentiment": s} for c, s in zip(clean, scores, strict=True)],
        "themes": [t.__dict__ for t in themes(clean, **kwargs)],
    }
