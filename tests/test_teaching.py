"""Teaching: student versions run to the end with nbgrader's stubs and show the checks'
messages; grading a folder of submissions gives a table, whatever the submissions do."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from distlab.teaching import assignment_name, generate_student_versions, grade

ROOT = Path(__file__).resolve().parent.parent
HELLO = ROOT / "chapters" / "00-prerequisites" / "03-hello-simulated-world.ipynb"
CHAPTERS = sorted((ROOT / "chapters").rglob("[0-9]*.ipynb"))
EVERY_CHAPTER = os.environ.get("DISTLAB_ALL_STUDENT") == "1"


@pytest.fixture(scope="module")
def student_hello(tmp_path_factory):
    base = tmp_path_factory.mktemp("teaching")
    (written,) = generate_student_versions([HELLO], base / "course", base / "student")
    return written


def test_student_version_has_stubs_and_no_solution(student_hello):
    text = student_hello.read_text()
    source = HELLO.read_text()
    assert "### BEGIN SOLUTION" not in text and "raise NotImplementedError()" in text
    assert "return n * (n - 1)" in source and "return n * (n - 1)" not in text
    assert "self.send(src, Pong(msg.n))" not in text.split("class Ponger", 1)[1].split(
        "class Echo", 1)[1] if "class Echo" in text else True
    nb = nbformat.read(student_hello, as_version=4)
    answers = [c for c in nb.cells if c.cell_type == "markdown"
               and c.metadata.get("nbgrader", {}).get("solution")]
    assert answers and all(c.source.strip() == "YOUR ANSWER HERE" for c in answers)
    assert "Lost or slow?" in text        # the question itself stays for the student
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")


def test_student_version_runs_to_the_end_and_shows_the_checks(student_hello):
    nb = nbformat.read(student_hello, as_version=4)
    NotebookClient(nb, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(student_hello.parent)}}).execute()
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in code), "stopped before the end"
    checks = [c for c in code if c.metadata.get("nbgrader", {}).get("grade")]
    assert checks
    for c in checks:
        errors = [o for o in c.outputs if o.output_type == "error"]
        assert errors and errors[0].ename == "CheckFailed"
        assert "not written yet" in errors[0].evalue and "hint:" in errors[0].evalue
    # the cells after the exercises (and between them) still ran
    assert any("the simulator counted" in "".join(o.get("text", "") for o in c.outputs)
               for c in code)


def assert_runs_with_stubs(student: Path) -> None:
    """Executed to the end, every check cell failing with the stub message and a hint."""
    nb = nbformat.read(student, as_version=4)
    NotebookClient(nb, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(student.parent)}}).execute()
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in code), f"{student.name} stopped early"
    checks = [c for c in code if c.metadata.get("nbgrader", {}).get("grade")]
    assert checks, f"{student.name} has no check cells"
    for c in checks:
        errors = [o for o in c.outputs if o.output_type == "error"]
        gid = c.metadata["nbgrader"].get("grade_id")
        assert errors and errors[0].ename == "CheckFailed", f"{student.name} {gid}: {errors}"
        assert "hint:" in errors[0].evalue, f"{student.name} {gid}: {errors[0].evalue}"


@pytest.mark.skipif(not EVERY_CHAPTER, reason="every chapter's student version takes about "
                    "6 minutes: set DISTLAB_ALL_STUDENT=1 (the nightly job does); the hello "
                    "chapter's is checked always")
def test_every_chapters_student_version_runs_to_the_end(tmp_path):
    written = generate_student_versions(CHAPTERS, tmp_path / "course", tmp_path / "student")
    assert len(written) == len(CHAPTERS)
    for student in written:
        assert "### BEGIN SOLUTION" not in student.read_text(), student.name
        assert_runs_with_stubs(student)


def fill(student: Path, answers: dict[str, str], dst: Path) -> None:
    """A submission: the student version with these solution cells replaced."""
    nb = nbformat.read(student, as_version=4)
    for c in nb.cells:
        gid = c.metadata.get("nbgrader", {}).get("grade_id")
        if gid in answers:
            c.source = answers[gid]
    dst.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, dst)


def test_grading_correct_wrong_and_crashing_submissions(student_hello, tmp_path):
    subs = tmp_path / "submissions"
    right = {"ex-echo": "class Echo(Node):\n    def on_message(self, src, msg):\n"
                        "        self.send(src, Pong(msg.n))\n",
             "ex-flood": "def flood_messages(n: int) -> int:\n    return n * (n - 1)\n",
             "ex-slow-or-lost": "It cannot tell: a slow reply and a lost one look the same.\n"}
    wrong = {"ex-echo": "class Echo(Node):\n    def on_message(self, src, msg):\n"
                        "        self.send(src, Pong(msg.n + 1))\n",
             "ex-flood": "def flood_messages(n: int) -> int:\n    return n * n\n"}
    crash = {"ex-echo": "import os\nos._exit(1)\n",
             "ex-flood": "while True:\n    pass\n"}
    for who, answers in (("ada", right), ("bob", wrong), ("cyd", crash)):
        fill(student_hello, answers, subs / who / HELLO.name)
    # The cell limit stops the looping submission; it must stay well above what a
    # correct cell needs on a loaded machine.
    table = grade(subs, tmp_path / "course", tmp_path / "grades", [HELLO], timeout=20)
    assert (tmp_path / "grades" / "grades.csv").is_file()
    assert (tmp_path / "grades" / "grades.html").read_text().startswith("<h1>Grades</h1>")
    auto = table[table["exercise"].isin(["ex-echo-check", "ex-flood-check"])]
    got = {(r.student, r.exercise): r.status for r in auto.itertuples()}
    assert got[("ada", "ex-echo-check")] == "passed" and got[("ada", "ex-flood-check")] == "passed"
    assert got[("bob", "ex-echo-check")] == "failed" and got[("bob", "ex-flood-check")] == "failed"
    # cyd's kernel dies in the first exercise and loops in the second: nbgrader stops the
    # loop at the cell timeout and flags the notebook for a human; the grader survives
    # and cyd gets rows like everyone, scoring nothing.
    for ex in ("ex-echo-check", "ex-flood-check"):
        assert got[("cyd", ex)] in ("failed", "needs manual grading")
    assert auto[auto["student"] == "cyd"]["score"].sum() == 0
    # A written answer goes to a human; one left as the stub scores 0 without one
    # (nbgrader's rule for unchanged solution cells).
    written = {r.student: r.status for r in table[table["exercise"] == "ex-slow-or-lost"].itertuples()}
    assert written["ada"] == "needs manual grading", written
    assert written["bob"] == "failed", written
    assert sorted(table["student"].unique()) == ["ada", "bob", "cyd"]


def test_assignment_names():
    assert assignment_name(HELLO) == "p00-03-hello-simulated-world"
