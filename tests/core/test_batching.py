import pytest

from dangjian.core.batching import chunks


def test_chunks_keep_every_item_in_order_the_last_one_shorter():
    assert list(chunks([1, 2, 3, 4, 5], 2)) == [[1, 2], [3, 4], [5]]
    assert list(chunks(range(4), 2)) == [[0, 1], [2, 3]]
    assert list(chunks([], 3)) == []


def test_chunks_read_a_generator_as_they_are_asked_for():
    taken = []

    def items():
        for n in range(10):
            taken.append(n)
            yield n

    first = next(chunks(items(), 3))
    assert first == [0, 1, 2]
    assert taken == [0, 1, 2]


@pytest.mark.parametrize("size", [0, -1])
def test_a_size_below_one_is_refused_rather_than_dropping_every_item(size):
    with pytest.raises(ValueError):
        list(chunks([1, 2], size))
