"""Start-up, encrypted commune vs clear, in the same run (issue 11: target ≤ 1.2x).

The 1,000,000-inspection demo and its encrypted copy (``common.ensure_encrypted_db``), started
alternately by the same child as ``bench_startup.py``: launch → login window painted, and login
→ first page of the list painted (with the 1 s typing pause, and without). On the encrypted one
the login unwraps the data key (Argon2id) before it authenticates (Argon2id again), then opens
the database with the key.
"""
from common import compile_sources, ensure_big_db, ensure_encrypted_db, median, record, run_child

RUNS = 9


def main() -> None:
    dbs = {"clear": ensure_big_db(), "encrypted": ensure_encrypted_db()}
    compile_sources()
    for db in dbs.values():  # warm the file cache and the bytecode
        run_child("child_app_start.py", str(db), "0")
    got = {name: {"launch": [], "login": [], "login_now": [], "rss": []} for name in dbs}
    for _ in range(RUNS):
        for name, db in dbs.items():
            a = run_child("child_app_start.py", str(db))
            got[name]["launch"].append(a["login_painted_at"] - a["launched_at"])
            got[name]["login"].append(a["list_painted_at"] - a["login_clicked_at"])
            got[name]["rss"].append(a["max_rss_mb"])
            now = run_child("child_app_start.py", str(db), "0")
            got[name]["login_now"].append(now["list_painted_at"] - now["login_clicked_at"])
    out = {"runs": RUNS}
    for name, g in got.items():
        out[name] = {"app_to_login_s": round(median(g["launch"]), 3), "login_to_first_page_s": round(median(g["login"]), 3),
                     "login_without_typing_pause_s": round(median(g["login_now"]), 3), "max_rss_mb": round(max(g["rss"]), 1)}
    for key in ("app_to_login_s", "login_to_first_page_s", "login_without_typing_pause_s"):
        out[f"ratio_{key}"] = round(out["encrypted"][key] / out["clear"][key], 2)
    out["target_ratio"] = 1.2
    record("startup_encryption", out)


if __name__ == "__main__":
    main()
