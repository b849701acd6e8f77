from guanxi.lib.bulk import _chunk_sizes


def test_chunks_cover_every_row_with_few_distinct_sizes():
    for total in (0, 1, 7, 500, 511, 1234, 2001):
        sizes = _chunk_sizes(total, 512)
        assert sum(sizes) == total
        assert set(sizes) <= {512, 256, 128, 64, 32, 16, 8, 4, 2, 1}
    assert _chunk_sizes(1234, 512) == [512, 512, 128, 64, 16, 2]
    assert _chunk_sizes(10, 6) == [6, 4]
