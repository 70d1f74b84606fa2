from kg.folders import swap_in


def test_swap_in_replaces_the_folder_whole(tmp_path):
    target = tmp_path / "out"
    target.mkdir()
    (target / "old.html").write_text("old")
    work = tmp_path / ".out.work"
    work.mkdir()
    (work / "new.html").write_text("new")
    swap_in(work, target)
    assert [p.name for p in target.iterdir()] == ["new.html"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_swap_in_creates_the_folder(tmp_path):
    work = tmp_path / "w"
    work.mkdir()
    swap_in(work, tmp_path / "fresh")
    assert (tmp_path / "fresh").is_dir() and not work.exists()
