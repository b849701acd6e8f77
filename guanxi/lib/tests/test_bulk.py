from guanxi.lib.bulk import _chunk_sizes


def test_chunks_cover_every_row_with_few_distinct_sizes():
    for total in (0, 1, 7, 500, 511, 1234, 2001):
        sizes = _chunk_sizes(total, 512)
        assert sum(sizes) == total
        assert set(sizes) <= {512, 256, 128, 64, 32, 16, 8, 4, 2, 1}
    assert _chunk_sizes(1234, 512) == [512, 512, 128, 64, 16, 2]
    assert _chunk_sizes(10, 6) == [6, 4]


def test_pk_set_remembers_keys_in_one_bit_each():
    from guanxi.imports.writers import PkSet

    seen = PkSet()
    seen.update([1, 8, 9, 1_000_000])
    assert all(pk in seen for pk in (1, 8, 9, 1_000_000))
    assert not any(pk in seen for pk in (0, 2, 7, 10, 999_999, 5_000_000))
    assert len(seen._bits) < 200_000
