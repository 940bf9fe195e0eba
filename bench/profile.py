"""Profile one page of a kept bench database: where does a request's time go?

    python -m bench --keep ...                        (build the bench database once)
    python -m bench.profile /projects/BENCHM/board/ [--repeat 20] [--database-name NAME]
    python -m bench.profile /projects/BENCHL/board/move/ --post "issue=1&status=3" --htmx
    python -m bench.profile /projects/BENCHW/board/ --poll     (the board's live poll, a 204)

Signed in as the bench user, with production settings; needs pyinstrument (test extras). The
queries of one request are listed with their time, slowest first, after the profile.
"""

from __future__ import annotations

import argparse
import sys
from urllib.parse import parse_qsl


def main(argv: list[str] | None = None) -> int:
    from bench.__main__ import configure_environment

    configure_environment()
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from pyinstrument import Profiler

    from bench import data

    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("path")
    parser.add_argument("--post", default=None, help="form data: a POST instead of a GET")
    parser.add_argument("--htmx", action="store_true", help="send HX-Request: true")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--database-name", default="")
    parser.add_argument("--all", action="store_true", help="show library frames too")
    parser.add_argument(
        "--explain", type=int, default=0, metavar="N", help="EXPLAIN ANALYZE the N slowest queries"
    )
    parser.add_argument(
        "--header", action="append", default=[], metavar="NAME:VALUE", help="a request header"
    )
    parser.add_argument(
        "--poll",
        action="store_true",
        help="the board's live poll: HTMX with the X-Board-Version of a first GET (a 204)",
    )
    args = parser.parse_args(argv)

    if connection.vendor == "postgresql":
        connection.settings_dict["NAME"] = (
            args.database_name or f"{connection.settings_dict['NAME']}_bench"
        )
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    client = Client()
    client.force_login(data.bench_user())
    headers = {"HX-Request": "true"} if args.htmx or args.poll else {}
    headers.update(tuple(header.split(":", 1)) for header in args.header)
    if args.poll:
        headers["X-Board-Version"] = client.get(args.path).headers.get("X-Board-Version", "")

    def request():
        if args.post is None:
            return client.get(args.path, headers=headers)
        return client.post(args.path, dict(parse_qsl(args.post)), headers=headers)

    for _ in range(3):
        response = request()
    print(f"HTTP {response.status_code}, {len(response.content):,} bytes", file=sys.stderr)
    profiler = Profiler(interval=0.0005)
    with profiler:
        for _ in range(args.repeat):
            request()
    print(profiler.output_text(unicode=True, color=False, show_all=args.all))
    with CaptureQueriesContext(connection) as queries:
        request()
    rows = sorted(queries.captured_queries, key=lambda q: -float(q["time"]))
    print(f"{len(rows)} queries, {sum(float(q['time']) for q in rows) * 1000:.1f} ms in all:")
    for query in rows:
        print(f"  {float(query['time']) * 1000:7.2f} ms  {query['sql'][:300]}")
    for query in rows[: args.explain]:
        print(f"\n{query['sql']}")
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {query['sql']}")
            print("\n".join(line for (line,) in cursor.fetchall()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
