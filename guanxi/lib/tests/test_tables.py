import json

import openpyxl
import pytest

from guanxi.lib.tables import BAD_ENCODING, TableError, detect_encoding, open_table

CHINESE = "订单号,客户,金额\n1001,王芳,99.50\n1002,李雷,12.00\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_chinese_csv_reads_the_same_in_every_encoding(tmp_path, encoding):
    path = tmp_path / "orders.csv"
    path.write_bytes(CHINESE.encode(encoding))
    table = open_table(path)
    assert table.header == ["订单号", "客户", "金额"]
    assert list(table.rows()) == [(2, {"订单号": "1001", "客户": "王芳", "金额": "99.50"}),
                                  (3, {"订单号": "1002", "客户": "李雷", "金额": "12.00"})]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiter_is_sniffed(tmp_path, delimiter):
    path = tmp_path / "data.txt"
    path.write_text(delimiter.join(["a", "b"]) + "\n" + delimiter.join(["1", "x y"]) + "\n")
    assert list(open_table(path).rows()) == [(2, {"a": "1", "b": "x y"})]


def test_a_damaged_line_is_flagged_and_the_rest_read(tmp_path):
    path = tmp_path / "data.csv"
    path.write_bytes("name,city\n王芳,上海\n".encode() + b"Jos\xe9,Paris\n" + "李雷,北京\n".encode())
    rows = list(open_table(path).rows())
    assert [line for line, _row in rows] == [2, 3, 4]
    assert BAD_ENCODING not in rows[0][1] and rows[1][1][BAD_ENCODING] == "utf-8" and rows[2][1]["name"] == "李雷"


def test_quoted_fields_with_newlines_keep_the_line_number_of_their_start(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text('a,b\n1,"two\nlines"\n2,x\n')
    assert [(line, row["a"]) for line, row in open_table(path).rows()] == [(2, "1"), (4, "2")]


def test_xlsx_rows_are_read_with_numbers_as_text(tmp_path):
    book = openpyxl.Workbook()
    book.active.append(["SKU", "Price"])
    book.active.append(["A1", 12.5])
    book.active.append(["A2", 3.0])
    book.save(tmp_path / "p.xlsx")
    assert list(open_table(tmp_path / "p.xlsx").rows()) == [(2, {"sku": "A1", "price": "12.5"}), (3, {"sku": "A2", "price": "3"})]


def test_json_lines_report_a_broken_line(tmp_path):
    path = tmp_path / "e.jsonl"
    path.write_text(json.dumps({"SKU": "A", "qty": 2}) + "\n{oops\n")
    rows = list(open_table(path).rows())
    assert rows[0] == (1, {"sku": "A", "qty": "2"}) and "__invalid__" in rows[1][1]


def test_empty_and_unknown_files_are_refused(tmp_path):
    (tmp_path / "e.csv").write_text("  \n")
    with pytest.raises(TableError, match="is empty"):
        open_table(tmp_path / "e.csv")
    (tmp_path / "x.pdf").write_text("x")
    with pytest.raises(TableError, match="unsupported file type"):
        open_table(tmp_path / "x.pdf")


def test_detect_encoding_prefers_utf8_with_a_few_bad_bytes():
    sample = ("王芳,上海\n" * 50).encode() + b"\xe9x\n"
    assert detect_encoding(sample) == "utf-8"
    assert detect_encoding(("王芳,上海\n" * 50).encode("gbk")) == "gb18030"


def test_json_lines_in_gbk_are_detected_and_a_damaged_line_flagged(tmp_path):
    lines = [json.dumps({"name": f"王芳{n}"}, ensure_ascii=False) for n in range(10)]
    (tmp_path / "gbk.jsonl").write_bytes("\n".join(lines).encode("gbk"))
    rows = list(open_table(tmp_path / "gbk.jsonl").rows())
    assert rows[0] == (1, {"name": "王芳0"}) and len(rows) == 10
    (tmp_path / "bad.jsonl").write_bytes(b'{"name": "ok"}\n{"name": "Ren\xe9e"}\n')
    rows = list(open_table(tmp_path / "bad.jsonl").rows())
    assert rows[0] == (1, {"name": "ok"}) and rows[1] == (2, {BAD_ENCODING: "utf-8"})


def test_stray_cp1252_bytes_early_in_a_utf8_file_do_not_switch_it_to_gb18030(tmp_path):
    head = "name,city\n" + "Ren\xe9e,Paris\n".encode("cp1252").decode("latin-1") * 2
    body = "x,y\n" * 300_000 + "王芳,上海\n"
    path = tmp_path / "mixed.csv"
    path.write_bytes(head.encode("latin-1") + body.encode("utf-8"))
    table = open_table(path)
    rows = list(table.rows())
    assert table.encoding == "utf-8"
    assert [line for line, row in rows if BAD_ENCODING in row] == [2, 3]
    assert rows[-1][1] == {"name": "王芳", "city": "上海"}


def test_a_column_named_twice_is_refused_and_extra_excel_cells_are_flagged(tmp_path):
    (tmp_path / "d.csv").write_text("sku,SKU\n1,2\n")
    with pytest.raises(TableError, match="the column sku appears twice"):
        open_table(tmp_path / "d.csv")
    book = openpyxl.Workbook()
    book.active.append(["sku", "price"])
    book.active.append(["A1", 1, "surprise"])
    book.save(tmp_path / "x.xlsx")
    [(line, row)] = list(open_table(tmp_path / "x.xlsx").rows())
    assert line == 2 and row["__extra__"] == ["surprise"]
