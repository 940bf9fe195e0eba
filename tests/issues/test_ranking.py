"""Rank keys: strings that sort bytewise and always leave room for one more between two."""

import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given, settings
from hypothesis import strategies as st

from issues import operations, ranking
from issues.models import Issue
from tests.factories import IssueFactory

HEADS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


@st.composite
def rank_keys(draw) -> str:
    """Any valid key: a head, its integer digits, and a fraction that does not end in 0."""
    head = draw(st.sampled_from(HEADS))
    length = ranking._integer_length(head) - 1
    integer = head + draw(st.text(ranking.DIGITS, min_size=length, max_size=length))
    key = integer + draw(st.text(ranking.DIGITS, max_size=10)).rstrip("0")
    if key == ranking._SMALLEST_INTEGER:
        key += "1"
    return key


def ordered_pair(keys: tuple[str, str]) -> tuple[str, str]:
    return tuple(sorted(keys))


# Fixed examples ----------------------------------------------------------------------------


def test_first_key_is_a0():
    assert ranking.key_between(None, None) == "a0"


def test_key_after_the_last_increments_its_integer_part():
    assert ranking.key_between("a0", None) == "a1"
    assert ranking.key_between("az", None) == "b00"


def test_key_before_the_first_decrements_its_integer_part():
    assert ranking.key_between(None, "a0") == "Zz"


def test_key_between_adjacent_keys_adds_a_fraction():
    assert ranking.key_between("a0", "a1") == "a0V"


def test_key_between_distant_keys_stays_short():
    assert ranking.key_between("a0", "a5") == "a1"


@pytest.mark.parametrize(("low", "high"), [("a1", "a0"), ("a1", "a1")])
def test_key_between_refuses_keys_out_of_order(low, high):
    with pytest.raises(ranking.RankError):
        ranking.key_between(low, high)


@pytest.mark.parametrize(
    "key",
    ["", "a", "b0", "a00", "a0V0", "!0", "a0 ", "a0-", "é0", ranking._SMALLEST_INTEGER],
)
def test_invalid_keys_are_refused(key):
    with pytest.raises(ranking.RankError):
        ranking.validate(key)
    with pytest.raises(ranking.RankError):
        ranking.key_between(key, None)


# Properties --------------------------------------------------------------------------------


@settings(max_examples=500)
@given(st.tuples(rank_keys(), rank_keys()).map(ordered_pair).filter(lambda p: p[0] != p[1]))
def test_key_between_sorts_strictly_between(pair):
    low, high = pair
    key = ranking.key_between(low, high)
    ranking.validate(key)
    assert low < key < high
    assert low.encode() < key.encode() < high.encode()


@settings(max_examples=300)
@given(rank_keys())
def test_key_before_and_after_any_key(key):
    before, after = ranking.key_between(None, key), ranking.key_between(key, None)
    ranking.validate(before)
    ranking.validate(after)
    assert before < key < after


@settings(max_examples=200)
@given(st.lists(st.floats(min_value=0, max_value=1, allow_nan=False), max_size=80))
def test_any_sequence_of_inserts_keeps_keys_ordered_and_distinct(positions):
    keys: list[str] = []
    for position in positions:
        index = round(position * len(keys))
        low = keys[index - 1] if index > 0 else None
        high = keys[index] if index < len(keys) else None
        keys.insert(index, ranking.key_between(low, high))
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)
    for key in keys:
        ranking.validate(key)


def test_appending_grows_keys_only_logarithmically():
    keys = [ranking.key_between(None, None)]
    for _ in range(10_000):
        keys.append(ranking.key_between(keys[-1], None))
    assert keys == sorted(keys)
    assert max(len(key) for key in keys) <= 4


def test_inserting_into_one_gap_adds_about_one_character_per_six_inserts():
    low, high = "a0", "a1"
    for _ in range(120):
        high = ranking.key_between(low, high)
    assert 20 <= len(high) <= 26


# Evenly spaced keys ------------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 2, 3, 61, 62, 1000, 100_000])
def test_evenly_spaced_keys_are_ordered_valid_and_of_one_length(count):
    keys = ranking.evenly_spaced(count)
    assert len(keys) == count
    assert keys == sorted(keys)
    assert len(set(keys)) == count
    assert len({len(key) for key in keys}) == 1
    for key in keys[:100] + keys[-100:]:
        ranking.validate(key)


@pytest.mark.parametrize("count", [1, 10, 1000, 100_000])
def test_evenly_spaced_keys_leave_room_between_neighbours(count):
    keys = ranking.evenly_spaced(count)
    for low, high in itertools.pairwise(keys):
        assert len(ranking.key_between(low, high)) == len(low)
    assert len(ranking.key_between(keys[-1], None)) <= len(keys[-1]) + 1


def test_evenly_spaced_keys_avoid_the_heads_asked():
    keys = ranking.evenly_spaced(10, skip_heads={"b", "c"})
    assert {key[0] for key in keys} == {"d"}
    assert keys == sorted(keys)


def test_evenly_spaced_keys_run_out_of_heads_loudly():
    with pytest.raises(ranking.RankError):
        ranking.evenly_spaced(10, skip_heads=set(HEADS))


def test_evenly_spaced_keys_are_short():
    assert len(ranking.evenly_spaced(100_000)[0]) <= 5


def test_evenly_spaced_nothing_is_empty():
    assert ranking.evenly_spaced(0) == []


# In the database: through operations -------------------------------------------------------


def project_order(project) -> list[int]:
    return list(Issue.objects.filter(project=project).order_by("rank").values_list("pk", flat=True))


def test_thousand_inserts_into_one_gap_stay_short_and_in_order(project, member, status):
    """Always dropping a card right under the first one halves the same gap every time."""
    to_do = status("To do")
    cards = [IssueFactory(project=project, actor=member) for _ in range(8)]
    order = [card.pk for card in cards]
    longest = 0
    for _ in range(1000):
        moved = Issue.objects.get(pk=order[-1])
        first = Issue.objects.get(pk=order[0])
        second = Issue.objects.get(pk=order[1])
        operations.move_issue(issue=moved, actor=member, status=to_do, after=first, before=second)
        order.insert(1, order.pop())
        ranks = list(Issue.objects.filter(project=project).values_list("rank", flat=True))
        longest = max(longest, *(len(rank) for rank in ranks))
        assert max(len(rank) for rank in ranks) <= 64
    assert project_order(project) == order
    # Without a rebalance the keys would have reached about 170 characters.
    assert longest <= ranking.REBALANCE_THRESHOLD + 1


def test_rebalance_keeps_the_order_and_shortens_the_keys(project, member, status):
    cards = [IssueFactory(project=project, actor=member) for _ in range(5)]
    first, second = cards[0], cards[1]
    for _ in range(60):
        operations.move_issue(
            issue=Issue.objects.get(pk=cards[-1].pk),
            actor=member,
            status=status("To do"),
            after=Issue.objects.get(pk=first.pk),
            before=Issue.objects.get(pk=second.pk),
        )
        second = cards[-1]
        cards.insert(1, cards.pop())
    order = project_order(project)
    assert operations.rebalance_ranks(project=project) == 5
    assert project_order(project) == order
    ranks = list(
        Issue.objects.filter(project=project).order_by("rank").values_list("rank", flat=True)
    )
    assert ranks == ranking.evenly_spaced(5)


def test_rebalancing_again_keeps_the_order(project, member):
    for _ in range(6):
        IssueFactory(project=project, actor=member)
    order = project_order(project)
    for _ in range(3):
        operations.rebalance_ranks(project=project)
        assert project_order(project) == order
    ranks = Issue.objects.filter(project=project).values_list("rank", flat=True)
    assert max(len(rank) for rank in ranks) <= 4


def test_rebalance_writes_in_batches_of_constant_cost(project, member, monkeypatch):
    monkeypatch.setattr(operations, "REBALANCE_BATCH", 4)
    for _ in range(10):
        IssueFactory(project=project, actor=member)
    order = project_order(project)
    with CaptureQueriesContext(connection) as queries:
        operations.rebalance_ranks(project=project)
    assert len([q for q in queries.captured_queries if 'UPDATE "issues_issue"' in q["sql"]]) == 3
    assert project_order(project) == order


def test_rebalance_touches_only_its_project(project, member):
    IssueFactory(project=project, actor=member)
    other = IssueFactory()
    operations.rebalance_ranks(project=project)
    assert Issue.objects.get(pk=other.pk).rank == other.rank


def test_database_sorts_ranks_bytewise(project, member):
    """Digits < capitals < small letters, and case is never folded (COLLATE "C")."""
    ranks = ["aa", "aB", "a0", "aZ", "ab", "aA", "a9", "Zz"]
    cards = [IssueFactory(project=project, actor=member) for _ in ranks]
    for card, rank in zip(cards, ranks, strict=True):
        Issue.objects.filter(pk=card.pk).update(rank=rank)
    in_database = list(
        Issue.objects.filter(project=project).order_by("rank").values_list("rank", flat=True)
    )
    assert in_database == sorted(ranks, key=str.encode)


@pytest.mark.postgres
def test_rank_column_has_c_collation_on_postgresql(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT collation_name FROM information_schema.columns "
            "WHERE table_name = 'issues_issue' AND column_name = 'rank'"
        )
        assert cursor.fetchone() == ("C",)
