from __future__ import annotations

import pytest

from loyalist.surveys.text import read_comments, redact, sentiment, themes


@pytest.mark.parametrize(("text", "expected"), [
    ("mail me: Jo.Smith+x@mail.example.com please", "mail me: [email] please"),
    ("call +1 (415) 555-2671 today", "call [phone] today"),
    ("tel 07700 900123", "tel [phone]"),
    ("order 12345 arrived on 2024-01-05", "order 12345 arrived on 2024-01-05"),
    ("it cost 19.99", "it cost 19.99"),
])
def test_redaction(text, expected):
    assert redact(text) == expected


def test_sentiment_orders_comments():
    good, bad = sentiment(["I love it, great service!", "Terrible, broken and useless."])
    assert good > 0.5 and bad < -0.5


def test_themes_group_similar_comments():
    comments = (["delivery was late again", "late delivery, parcel lost", "slow delivery times"]
                + ["price too high", "expensive price for what it is", "high price, cheaper "
                   "elsewhere"] + ["great staff", "staff were helpful and friendly"])
    found = themes(comments, n_themes=3)
    words = [set(t.words) for t in found]
    assert any("delivery" in w for w in words) and any("price" in w for w in words)
    assert sum(t.size for t in found) == len(comments)
    assert all(t.examples for t in found)


def test_read_comments_redacts_before_analysis():
    out = read_comments(["bad, write to a@b.io", "fine"], n_themes=2)
    assert out["comments"][0]["comment"] == "bad, write to [email]"
    assert all("@" not in " ".join(t["examples"]) for t in out["themes"])
