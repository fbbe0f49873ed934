"""The class results: judging one stored session, cold and from the cache.

Prints figures, asserts nothing. A 6-hour session of the chronic-pain scenario run by the
runtime on a manual clock (bench_report's ``live_session``) is judged for the class table:
read from the store and its debrief computed (``classroom.result_of``, cold), then again
from the cache (an ended session's results never change). Then the class table of thirty
trainees who all acted in it: the cost of the table around the cached results (one read
of the users, the sessions and who acted in which).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sqlalchemy import create_engine, text

from _common import best_of
from bench_report import live_session
from vitalsdash import classroom
from vitalsdash.store import Store

TRAINEES = 30


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "class.sqlite"
        sid = live_session(db)
        store = Store(db)
        uids = [store.add_user(f"Trainee {i:02d}", "trainee") for i in range(TRAINEES)]
        engine = create_engine(store.url)
        add = text(
            "INSERT INTO actions (session_id, seq, t_s, actor, kind, params, outcome, user_id,"
            " user_name) SELECT :sid, MAX(seq) + 1, 0, 'trainee', 'reassure', '{}', 'ok', :uid,"
            " 'x' FROM actions WHERE session_id = :sid"
        )
        with engine.begin() as conn:  # everyone acted in it: thirty rows of the same session
            for uid in uids:
                conn.execute(add, {"sid": sid, "uid": uid})
        engine.dispose()
        row = store.session(sid)
        assert row is not None

        def cold() -> None:
            classroom.clear_cache()
            classroom.result_of(store, row)

        print(f"6-hour session judged, cold: {best_of(cold):.3f} s")
        classroom.result_of(store, row)
        print(f"the same, from the cache: {best_of(lambda: classroom.result_of(store, row)):.6f} s")
        warm = best_of(lambda: classroom.class_table(store))
        print(f"class table of {TRAINEES} trainees, results cached: {warm:.3f} s")
        store.close()


if __name__ == "__main__":
    main()
