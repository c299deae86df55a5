"""Teaching with the book's notebooks: student versions and grading, through nbgrader.

The chapters are authored in nbgrader's conventions (solution cells between
``### BEGIN SOLUTION`` / ``### END SOLUTION``, locked and pointed test cells calling
``distlab.exercises`` checks), so a teacher's nbgrader course can take a notebook as
it is. This module only arranges the files of such a course and calls nbgrader:

- ``student``: copies notebooks into ``<course>/source/<assignment>/`` (one assignment
  per chapter), runs ``nbgrader generate_assignment``, and collects the student
  versions (solutions replaced by nbgrader's stubs, outputs cleared) in one folder;
- ``grade``: places submitted notebooks (``SUBMISSIONS/<student>/<notebook>.ipynb``) in
  ``<course>/submitted/``, runs ``nbgrader autograde`` (with a per-cell timeout, so a
  looping submission is stopped, not the grader), and writes a table of scores per
  student and exercise (CSV, and HTML through pandas).

Command line (the Makefile's ``make student`` and ``make grade SUBMISSIONS=dir``)::

    python -m distlab.teaching student [--course DIR] [--out DIR] [NOTEBOOK ...]
    python -m distlab.teaching grade SUBMISSIONS [--course DIR] [--out DIR]

Described on the book's "For teachers" page.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

__all__ = ["assignment_name", "prepare_course", "generate_student_versions", "grade",
           "main"]

CONFIG = """\
c = get_config()
c.CourseDirectory.root = {root!r}
c.CourseDirectory.course_id = "distributed-systems-executable"
# A cell that runs longer than this is stopped and counts as failed.
c.ExecutePreprocessor.timeout = {timeout}
c.Execute.timeout = {timeout}
c.ClearSolutions.code_stub = {{"python": "# YOUR CODE HERE\\nraise NotImplementedError()"}}
"""


def assignment_name(notebook: Path) -> str:
    """One assignment per chapter: ``01-fundamentals/02-logical-clocks.ipynb`` ->
    ``p01-02-logical-clocks``."""
    part = notebook.parent.name.split("-", 1)[0]
    return f"p{part}-{notebook.stem}"


def _nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess:
    """Run the nbgrader command line in ``course`` with this interpreter's tools."""
    env = dict(os.environ)
    bindir = str(Path(sys.executable).parent)  # nbgrader calls alembic from PATH
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    return subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
                          capture_output=True, text=True)


def prepare_course(course: Path, notebooks: list[Path], timeout: int = 60) -> dict[str, Path]:
    """Create ``course`` with ``nbgrader_config.py`` and the notebooks as sources."""
    course.mkdir(parents=True, exist_ok=True)
    (course / "nbgrader_config.py").write_text(CONFIG.format(root=str(course.resolve()),
                                                             timeout=int(timeout)))
    made: dict[str, Path] = {}
    for nb in notebooks:
        if not nb.is_file() or nb.suffix != ".ipynb":
            raise ValueError(f"{nb} is not a notebook")
        name = assignment_name(nb)
        if name in made:
            raise ValueError(f"two notebooks map to the assignment {name!r}: "
                             f"{made[name]} and {nb}")
        dst = course / "source" / name
        if dst.exists():
            shutil.rmtree(dst)
        dst.mkdir(parents=True)
        shutil.copy2(nb, dst / nb.name)
        made[name] = nb
    return made


def generate_student_versions(notebooks: list[Path], course: Path, out: Path,
                              timeout: int = 60) -> list[Path]:
    """Student versions of ``notebooks`` in ``out/<part>/<notebook>.ipynb``."""
    made = prepare_course(course, notebooks, timeout)
    written = []
    for name, nb in made.items():
        r = _nbgrader(course, "generate_assignment", name, "--force", "--create")
        if r.returncode != 0:
            raise RuntimeError(f"nbgrader generate_assignment {name} failed:\n"
                               f"{r.stdout[-2000:]}{r.stderr[-3000:]}")
        src = course / "release" / name / nb.name
        dst = out / nb.parent.name / nb.name
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dst)
        written.append(dst)
    return written


def grade(submissions: Path, course: Path, out: Path, notebooks: list[Path],
          timeout: int = 60):
    """Autograde ``submissions/<student>/<notebook>.ipynb``; returns the score table.

    Writes ``out/grades.csv`` and ``out/grades.html``: one row per student and
    exercise (the notebook, the exercise's grade id, score, max score, and a status:
    passed, failed, or "not submitted"). Notebooks that crash or loop get their rows
    like any other, with the failing cells at 0.
    """
    import pandas as pd
    from nbgrader.api import Gradebook, MissingEntry

    if not submissions.is_dir():
        raise ValueError(f"{submissions} is not a folder of submissions "
                         f"(expected SUBMISSIONS/<student>/<notebook>.ipynb)")
    by_file = {nb.name: nb for nb in notebooks}
    students = sorted(p.name for p in submissions.iterdir() if p.is_dir())
    if not students:
        raise ValueError(f"{submissions} has no student folders")
    needed = sorted({by_file[f.name] for s in students for f in (submissions / s).glob("*.ipynb")
                     if f.name in by_file}, key=str)
    made = prepare_course(course, needed, timeout)
    for name in made:
        r = _nbgrader(course, "generate_assignment", name, "--force", "--create")
        if r.returncode != 0:
            raise RuntimeError(f"nbgrader generate_assignment {name} failed:\n{r.stderr[-3000:]}")
    unknown = []
    for s in students:
        for f in sorted((submissions / s).glob("*.ipynb")):
            if f.name not in by_file:
                unknown.append(f"{s}/{f.name}")
                continue
            name = assignment_name(by_file[f.name])
            dst = course / "submitted" / s / name
            dst.mkdir(parents=True, exist_ok=True)
            shutil.copy2(f, dst / f.name)
    logs = {}
    for name in made:
        r = _nbgrader(course, "autograde", name, "--force", "--create")
        logs[name] = r.stdout + r.stderr
    rows = []
    with Gradebook(f"sqlite:///{(course / 'gradebook.db').resolve()}") as gb:
        for name, nb in made.items():
            assignment = gb.find_assignment(name)
            for notebook in assignment.notebooks:
                cells = sorted(notebook.grade_cells, key=lambda c: c.name)
                for s in students:
                    for cell in cells:
                        try:
                            g = gb.find_grade(cell.name, notebook.name, name, s)
                            score = g.score
                            status = ("needs manual grading" if g.needs_manual_grade
                                      else "passed" if score >= cell.max_score else "failed")
                        except MissingEntry:
                            score, status = 0.0, "not submitted"
                        rows.append({"student": s, "notebook": nb.name, "exercise": cell.name,
                                     "score": float(score or 0.0),
                                     "max score": float(cell.max_score), "status": status})
    table = pd.DataFrame(rows, columns=["student", "notebook", "exercise", "score",
                                        "max score", "status"])
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "grades.csv", index=False)
    totals = table.groupby("student")[["score", "max score"]].sum()
    (out / "grades.html").write_text(
        "<h1>Grades</h1>\n" + totals.to_html() + "\n<h2>Per exercise</h2>\n"
        + table.to_html(index=False))
    for u in unknown:
        print(f"note: {u} is not a notebook of the book; not graded", file=sys.stderr)
    return table


def _chapter_notebooks(root: Path) -> list[Path]:
    return sorted(p for p in (root / "chapters").rglob("[0-9]*.ipynb")
                  if ".ipynb_checkpoints" not in p.parts)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m distlab.teaching",
                                description="Student versions and grading with nbgrader.")
    p.add_argument("--root", default=".", help="the book's repository (default: .)")
    p.add_argument("--course", default="_build/nbgrader", help="nbgrader course folder")
    p.add_argument("--timeout", type=int, default=60, help="seconds per cell")
    sub = p.add_subparsers(dest="command", required=True)
    st = sub.add_parser("student", help="write student versions")
    st.add_argument("--out", default="_build/student")
    st.add_argument("notebooks", nargs="*", help="default: every chapter notebook")
    gr = sub.add_parser("grade", help="autograde a folder of submissions")
    gr.add_argument("submissions", help="SUBMISSIONS/<student>/<notebook>.ipynb")
    gr.add_argument("--out", default="_build/grades")
    a = p.parse_args(argv)
    root = Path(a.root).resolve()
    course = (root / a.course).resolve()
    try:
        if a.command == "student":
            notebooks = [Path(n).resolve() for n in a.notebooks] or _chapter_notebooks(root)
            written = generate_student_versions(notebooks, course, (root / a.out).resolve(),
                                                a.timeout)
            for w in written:
                print(w.relative_to(root) if w.is_relative_to(root) else w)
            print(f"{len(written)} student notebooks in {a.out}")
        else:
            table = grade(Path(a.submissions).resolve(), course, (root / a.out).resolve(),
                          _chapter_notebooks(root), a.timeout)
            print(table.groupby("student")[["score", "max score"]].sum().to_string())
            print(f"grades written to {a.out}/grades.csv and {a.out}/grades.html")
    except (ValueError, RuntimeError) as exc:
        print(f"teaching: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
