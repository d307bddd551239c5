"""Start-up with a 1,000,000-inspection database.

1. launch → login window painted, as a ratio to a bare PySide6 window (target ≤ 1.5x);
2. login → first page of the inspection list painted, compared with the bare window's own
   launch time (target: below it). The login is clicked 1 s after the login window paints (a
   person typing a password); the same measure with no pause at all is reported beside it.
"""
from common import compile_sources, ensure_big_db, median, record, run_child

RUNS = 11  # the machine is shared: medians of more runs


def main() -> None:
    db = ensure_big_db()
    compile_sources()
    run_child("child_bare_window.py")  # warm the file cache and the venv's own bytecode
    run_child("child_app_start.py", str(db), "0")
    bare, launch, login, login_now = [], [], [], []
    rss = []
    for _ in range(RUNS):
        b = run_child("child_bare_window.py")
        bare.append(b["painted_at"] - b["launched_at"])
        a = run_child("child_app_start.py", str(db))
        launch.append(a["login_painted_at"] - a["launched_at"])
        login.append(a["list_painted_at"] - a["login_clicked_at"])
        rss.append(a["max_rss_mb"])
        now = run_child("child_app_start.py", str(db), "0")
        login_now.append(now["list_painted_at"] - now["login_clicked_at"])
    record("startup", {
        "runs": RUNS, "bare_window_s": round(median(bare), 3), "app_to_login_s": round(median(launch), 3),
        "ratio_launch": round(median(launch) / median(bare), 2), "target_ratio_launch": 1.5,
        "login_to_first_page_s": round(median(login), 3),
        "login_vs_bare_window": round(median(login) / median(bare), 2), "target_login_vs_bare": 1.0,
        "login_without_typing_pause_s": round(median(login_now), 3),
        "max_rss_mb": round(max(rss), 1)})


if __name__ == "__main__":
    main()
