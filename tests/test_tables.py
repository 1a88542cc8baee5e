from gmgportal.core.tables import Sort


def test_sort_parse_falls_back_to_the_default_for_unknown_columns():
    assert Sort.parse({"sort": "evil", "dir": "desc"}, ["name"], "name") == Sort("name", False)
    assert Sort.parse({"sort": "name", "dir": "desc"}, ["name"], "name") == Sort("name", True)


def test_header_links_toggle_direction_and_keep_filters():
    sort = Sort("name")
    assert sort.args_for("name", {"agency": "3", "page": "2"}) == {"agency": "3", "sort": "name", "dir": "desc"}
    assert Sort("name", True).args_for("name", {}) == {"sort": "name"}
    assert sort.args_for("email", {}) == {"sort": "email"}
    assert (sort.aria("name"), sort.aria("email")) == ("ascending", "none")


def test_python_sort_puts_missing_values_last():
    rows = [{"v": 2}, {"v": None}, {"v": 1}]
    assert Sort("v", True).apply(rows, {"v": lambda r: r["v"]}) == [{"v": 2}, {"v": 1}, {"v": None}]
