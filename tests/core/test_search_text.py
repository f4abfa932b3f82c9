from core.search_text import fold


def test_fold_removes_marks_lowercases_and_collapses_spaces():
    assert fold("Thuế  GTGT") == "thue gtgt"
    assert fold("ĐĂNG KÝ tờ khai") == "dang ky to khai"
    assert fold("Hải quan\nQuảng Ninh") == "hai quan quang ninh"


def test_fold_of_a_decomposed_text_equals_that_of_the_composed_one():
    composed = "Nghị định"
    decomposed = "Nghi\u0323 đi\u0323nh"
    assert fold(composed) == fold(decomposed) == "nghi dinh"
