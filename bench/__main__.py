"""`make bench`: build a throw-away database, measure the hot paths, print one table.

    python -m bench [--quick] [--only board,move,...] [--keep] [--repeat N] [--no-throughput]

The database of DATABASE_URL is never touched: on PostgreSQL the bench creates and drops its
own database (`<name>_bench`, or --database-name) next to it, on SQLite a temporary file. The
settings are production's (DEBUG off), as that is what is being measured. The table goes to
stdout and to bench/results.json; the exit status is non-zero only when the bench could not
run at all (a missed target is a finding, not a failure).
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import tempfile
import time
import traceback
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from urllib.parse import quote

BENCH_DIR = Path(__file__).resolve().parent


def configure_environment() -> list[str]:
    """Production settings for the measured code, whatever the shell says; notes on changes."""
    notes = []
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
    if os.environ.get("DEBUG", "0").lower() not in {"", "0", "false", "no", "off"}:
        notes.append("DEBUG is turned off for the bench: production settings are measured.")
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("SECRET_KEY", "bench-" + secrets.token_urlsafe(48))
    # Plain HTTP on loopback and in-process: no HTTPS redirect, cookies without Secure.
    os.environ["SECURE_SSL"] = "0"
    os.environ["SECURE_COOKIES"] = "0"
    return notes


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    from bench.cases import GROUPS

    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="1k/10k projects only (about a minute)"
    )
    parser.add_argument("--only", default="", help=f"comma-separated groups of {', '.join(GROUPS)}")
    parser.add_argument("--no-throughput", action="store_true", help="skip gunicorn + wrk")
    parser.add_argument("--repeat", type=int, default=9, help="timed runs per page case")
    parser.add_argument("--move-repeat", type=int, default=15, help="timed runs per move case")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--wrk-seconds", type=int, default=10)
    parser.add_argument("--wrk-connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument("--database-name", default="", help="PostgreSQL: the bench database")
    parser.add_argument(
        "--keep", action="store_true", help="keep the bench database (and reuse it next time)"
    )
    parser.add_argument("--json", type=Path, default=BENCH_DIR / "results.json")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown too")
    args = parser.parse_args(argv)
    groups = [g.strip() for g in args.only.split(",") if g.strip()] or list(GROUPS)
    unknown = set(groups) - set(GROUPS)
    if unknown:
        parser.error(f"unknown group(s): {', '.join(sorted(unknown))}")
    if args.no_throughput and "throughput" in groups:
        groups.remove("throughput")
    args.groups = tuple(groups)
    return args


@contextmanager
def bench_database(args: argparse.Namespace, log):
    """A fresh database of the configured vendor, migrated; dropped afterwards (unless --keep).

    Yields a DATABASE_URL for it (for gunicorn).
    """
    from django.db import connection

    settings_dict = connection.settings_dict
    real_name = str(settings_dict["NAME"])
    if connection.vendor == "postgresql":
        name = args.database_name or f"{real_name}_bench"
        if name == real_name:
            raise SystemExit("The bench database must not be the configured database.")
        settings_dict["TEST"]["NAME"] = name
        directory = None
    elif connection.vendor == "sqlite":
        directory = tempfile.mkdtemp(prefix="tracker-bench-")
        settings_dict["TEST"]["NAME"] = str(Path(directory) / "bench.sqlite3")
    else:
        raise SystemExit(f"The bench runs on PostgreSQL or SQLite, not {connection.vendor}.")
    log(f"Creating the bench database {settings_dict['TEST']['NAME']}…")
    old_name = connection.creation.create_test_db(
        verbosity=0, autoclobber=True, serialize=False, keepdb=args.keep
    )
    try:
        yield _database_url(connection.settings_dict)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0, keepdb=args.keep)
        if directory and not args.keep:
            Path(directory).rmdir()


def _database_url(settings_dict: dict) -> str:
    if "sqlite" in settings_dict["ENGINE"]:
        return f"sqlite:///{settings_dict['NAME']}"
    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(settings_dict.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    host = settings_dict.get("HOST") or "localhost"
    return f"postgres://{credentials}{host}{port}/{quote(str(settings_dict['NAME']), safe='')}"


def main(argv: list[str] | None = None) -> int:
    notes = configure_environment()
    import django

    django.setup()
    args = parse_args(argv)
    from django.conf import settings
    from django.db import connection

    from bench import cases, report

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    for note in notes:
        log(note)
    # The test client's host; production settings allow only what ALLOWED_HOSTS lists.
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    sizes = cases.QUICK if args.quick else cases.FULL
    options = cases.Options(
        repeat=args.repeat,
        warmup=args.warmup,
        move_repeat=args.move_repeat,
        groups=args.groups,
        wrk_seconds=args.wrk_seconds,
        wrk_connections=args.wrk_connections,
        workers=args.workers,
        intake_throughput=not args.no_throughput,
    )
    started = time.perf_counter()
    load_before = os.getloadavg()
    try:
        with bench_database(args, log) as url:
            options.database_url = url
            if "Manifest" in settings.STORAGES["staticfiles"]["BACKEND"]:
                from django.core.management import call_command

                # Production pages link hashed static files: collect them, as a deploy does.
                call_command("collectstatic", interactive=False, verbosity=0)
            results = cases.run(sizes, options, log)
            about = {
                "database": {"vendor": connection.vendor, "name": connection.settings_dict["NAME"]},
                "sizes": asdict(sizes),
                "options": {k: v for k, v in asdict(options).items() if k != "database_url"},
                "seconds": round(time.perf_counter() - started),
                # Other processes' load makes wall-clock medians longer than the CPU times.
                "load_average": {"start": load_before, "end": os.getloadavg()},
            }
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception:
        traceback.print_exc()
        log("The bench could not run.")
        return 2
    print(report.table(results))
    if args.markdown:
        print()
        print(report.markdown(results))
    report.write_json(args.json, results, **about)
    print(
        f"\n{connection.vendor}, {os.cpu_count()} CPUs; load average (1 min) "
        f"{about['load_average']['start'][0]:.1f} at the start, "
        f"{about['load_average']['end'][0]:.1f} at the end."
    )
    log(f"Wrote {args.json} ({about['seconds']} s in all).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
